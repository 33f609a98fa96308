import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import { ServicesRepository } from './services.repository';

/** Cache kind of services: `ailink:res:service:{project_id}:{name}`. */
export const SERVICE_CACHE_KIND = 'service';

/** What the proxy needs of a service. Shared between requests: never mutate. */
export interface ResolvedService {
  id: string;
  /** Without trailing slash. */
  baseUrl: string;
  credentialId: string | null;
}

/** The cache key of a service name in a project. */
export function serviceCacheKey(projectId: string, name: string): string {
  return `${projectId}:${name}`;
}

/** Active services by (project, name) through the cache tiers; unknown names are negatively cached. */
@Injectable()
export class ServiceCache {
  private readonly cache: TieredCache<ResolvedService>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: ServicesRepository) {
    this.cache = factory.create<ResolvedService>({
      kind: SERVICE_CACHE_KIND,
      loader: async (key) => {
        const colon = key.indexOf(':');
        const row = await repository.findActiveByName(key.slice(0, colon), key.slice(colon + 1));
        return row ? { id: row.id, baseUrl: row.baseUrl.replace(/\/+$/, ''), credentialId: row.credentialId } : null;
      },
      l1MaxEntries: config.l1MaxEntries,
      l1TtlMs: Math.max(1, config.l1TtlMs),
      l2TtlSecs: config.l2TtlSecs,
    });
  }

  get(projectId: string, name: string): Promise<ResolvedService | null> {
    return this.cache.get(serviceCacheKey(projectId, name));
  }

  invalidate(projectId: string, name: string): Promise<void> {
    return this.cache.invalidate(serviceCacheKey(projectId, name), projectId);
  }
}
