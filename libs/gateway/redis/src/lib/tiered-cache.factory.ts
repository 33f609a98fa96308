import { Injectable } from '@nestjs/common';
import { CacheInvalidationBus } from './cache-invalidation-bus';
import { KeyValueStore } from './key-value-store';
import { TieredCache, type TieredCacheOptions } from './tiered-cache';

/**
 * Makes {@link TieredCache}s on the configured store, registered with the process's
 * {@link CacheInvalidationBus} so that invalidations from any instance evict their L1.
 */
@Injectable()
export class TieredCacheFactory {
  constructor(
    private readonly store: KeyValueStore,
    private readonly bus: CacheInvalidationBus,
  ) {}

  create<T>(options: TieredCacheOptions<T>): TieredCache<T> {
    const cache = new TieredCache<T>(this.store, options);
    this.bus.register(cache.kind, cache);
    return cache;
  }
}
