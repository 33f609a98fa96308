import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import type { ProxyToken } from '@ailink/gateway-proxy';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import { effectiveCircuitBreaker } from './circuit-breaker-config';
import type { TokenEntity } from './entities/token.entity';
import { toUpstreamTargets } from './token-upstreams';
import { TokensRepository } from './tokens.repository';

/** Cache kind of tokens: `ailink:res:token:{tok_…}` (data-model.md, Redis keyspace). */
export const TOKEN_CACHE_KIND = 'token';
/** Unknown token hashes stay negatively cached this long in L2 (spec: 60 s). */
export const TOKEN_NEGATIVE_TTL_SECS = 60;

/**
 * What the proxy needs to authenticate a request and what it then uses of the token, as cached in
 * L1/L2. Holds the secret's SHA-256 (never the secret). Shared between requests: never mutate.
 */
export interface ResolvedToken {
  secretSha256: string;
  isActive: boolean;
  /** Epoch ms, or null for no expiry. */
  expiresAtMs: number | null;
  suspended: boolean;
  token: ProxyToken;
}

function logLevel(value: number): 0 | 1 | 2 {
  return value === 0 || value === 2 ? value : 1;
}

/** The cached form of a token row. */
export function toResolvedToken(row: TokenEntity): ResolvedToken {
  return {
    secretSha256: row.secretSha256,
    isActive: row.isActive,
    expiresAtMs: row.expiresAt ? row.expiresAt.getTime() : null,
    suspended: row.suspendedAt !== null,
    token: {
      id: row.id,
      projectId: row.projectId,
      name: row.name,
      credentialId: row.credentialId,
      upstreams: toUpstreamTargets(row.upstreamUrl, row.upstreams),
      policyIds: row.policyIds ?? [],
      logLevel: logLevel(row.logLevel),
      circuitBreaker: effectiveCircuitBreaker(row.circuitBreaker),
      tags: row.tags ?? {},
      teamId: row.teamId,
      allowedModels: row.allowedModels ?? null,
      allowedModelGroupIds: row.allowedModelGroupIds ?? [],
    },
  };
}

/**
 * Tokens through the cache tiers (L1 LRU → Redis → PostgreSQL), keyed by public id. Unknown ids are
 * negatively cached in L1 and L2. Every write to a token calls {@link invalidate} after it commits.
 */
@Injectable()
export class TokenCache {
  private readonly cache: TieredCache<ResolvedToken>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: TokensRepository) {
    this.cache = factory.create<ResolvedToken>({
      kind: TOKEN_CACHE_KIND,
      loader: async (id) => {
        const row = await repository.findById(id);
        return row ? toResolvedToken(row) : null;
      },
      l1MaxEntries: config.l1MaxEntries,
      l1TtlMs: Math.max(1, config.l1TtlMs),
      l2TtlSecs: config.l2TtlSecs,
      negativeTtlSecs: TOKEN_NEGATIVE_TTL_SECS,
    });
  }

  get(publicId: string): Promise<ResolvedToken | null> {
    return this.cache.get(publicId);
  }

  /** After a committed change: every instance drops its copy within 1 s. */
  invalidate(publicId: string, projectId: string): Promise<void> {
    return this.cache.invalidate(publicId, projectId);
  }
}
