import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import { CacheInvalidationBus, KeyValueStore, negativeResourceKey, resourceKey, resourceVersionKey } from '@ailink/gateway-redis';

/** The tokens feature's cache kind (`ailink:res:token:{tok_…}`); a feature may not import another. */
const TOKEN_CACHE_KIND = 'token';

/**
 * Invalidates cached tokens whose `policy_ids` a policy delete changed, exactly as the tokens
 * feature's own writes do (spec README "Resolution through cache tiers"): bump the version, delete
 * the L2 entries, publish on `ailink:invalidate` so every instance (this one included) evicts L1.
 */
@Injectable()
export class TokenCacheInvalidator {
  constructor(
    private readonly store: KeyValueStore,
    private readonly bus: CacheInvalidationBus,
    private readonly config: AppConfig,
  ) {}

  async invalidate(tokenId: string, projectId: string): Promise<void> {
    await this.store.bumpVersion(resourceVersionKey(TOKEN_CACHE_KIND, tokenId), this.config.l2TtlSecs + 60);
    await this.store.del(resourceKey(TOKEN_CACHE_KIND, tokenId), negativeResourceKey(TOKEN_CACHE_KIND, tokenId));
    await this.bus.publish({ kind: TOKEN_CACHE_KIND, id: tokenId, project_id: projectId });
  }
}
