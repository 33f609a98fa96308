import { Injectable } from '@nestjs/common';
import type { ApiKeyRole } from '@ailink/shared-contracts';
import { AppConfig } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import type { ApiKeyEntity } from '../entities/api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';

/** Cache kind of API keys: `ailink:res:api_key:{sha256(key)}`. */
export const API_KEY_CACHE_KIND = 'api_key';
/** Unknown key hashes stay negatively cached this long in L2, so a spray of guesses cannot load PostgreSQL. */
export const API_KEY_NEGATIVE_TTL_SECS = 60;

/** What authentication needs of a key, as cached in L1/L2. Never the key; shared: never mutate. */
export interface ResolvedApiKey {
  id: string;
  orgId: string;
  userId: string | null;
  teamId: string | null;
  role: ApiKeyRole;
  scopes: string[];
  isActive: boolean;
  /** Epoch ms, or null for no expiry. */
  expiresAtMs: number | null;
}

export function toResolvedApiKey(row: ApiKeyEntity): ResolvedApiKey {
  return {
    id: row.id,
    orgId: row.orgId,
    userId: row.userId,
    teamId: row.teamId,
    role: row.role,
    scopes: row.scopes ?? [],
    isActive: row.isActive,
    expiresAtMs: row.expiresAt ? row.expiresAt.getTime() : null,
  };
}

/**
 * API keys through the cache tiers (L1 LRU → Redis → PostgreSQL), keyed by the SHA-256 of the key,
 * so that authenticating a management request costs no database round trip. Unknown hashes are
 * negatively cached. Every write to a key calls {@link invalidate} after it commits.
 */
@Injectable()
export class ApiKeyCache {
  private readonly cache: TieredCache<ResolvedApiKey>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: ApiKeysRepository) {
    this.cache = factory.create<ResolvedApiKey>({
      kind: API_KEY_CACHE_KIND,
      loader: async (keyHash) => {
        const row = await repository.findByHash(keyHash);
        return row ? toResolvedApiKey(row) : null;
      },
      l1MaxEntries: config.l1MaxEntries,
      l1TtlMs: Math.max(1, config.l1TtlMs),
      l2TtlSecs: config.l2TtlSecs,
      negativeTtlSecs: API_KEY_NEGATIVE_TTL_SECS,
    });
  }

  get(keyHash: string): Promise<ResolvedApiKey | null> {
    return this.cache.get(keyHash);
  }

  /** After a committed change: every instance drops its copy within 1 s. */
  invalidate(keyHash: string): Promise<void> {
    return this.cache.invalidate(keyHash, null);
  }
}
