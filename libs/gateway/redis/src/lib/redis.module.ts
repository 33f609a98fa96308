import {
  type DynamicModule,
  Global,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  type OnModuleDestroy,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import { CacheInvalidationBus } from './cache-invalidation-bus';
import { KeyValueStore } from './key-value-store';
import { MemoryKeyValueStore } from './memory-key-value-store';
import { RedisKeyValueStore } from './redis-key-value-store';
import { TieredCacheFactory } from './tiered-cache.factory';

export interface RedisModuleOptions {
  /** `REDIS_URL`. Set: external mode on real Redis. Unset or empty: embedded in-process store. */
  url?: string;
  /** Prepended to every key and channel; default none. */
  keyPrefix?: string;
  /** TCP connect timeout (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Commands unanswered for this long reject (default 2000 ms). */
  commandTimeoutMs?: number;
  /** `CLIENT LIST` name of the command connection; the subscriber adds `:sub`. Default `ailink`. */
  connectionName?: string;
}

export interface RedisModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => RedisModuleOptions | Promise<RedisModuleOptions>;
}

/**
 * Creates the store for the options. In external mode both connections are opened first, and a
 * Redis that cannot be reached rejects with a message naming the (redacted) URL, so that startup
 * fails clearly instead of degrading silently.
 */
export async function createKeyValueStore(options: RedisModuleOptions): Promise<KeyValueStore> {
  if (!options.url) return new MemoryKeyValueStore();
  const store = new RedisKeyValueStore({
    url: options.url,
    keyPrefix: options.keyPrefix,
    connectTimeoutMs: options.connectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs,
    connectionName: options.connectionName,
  });
  try {
    await store.connect();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}

const EXPORTS = [KeyValueStore, CacheInvalidationBus, TieredCacheFactory];

/**
 * Global module providing {@link KeyValueStore} (Redis or in-process), the
 * {@link CacheInvalidationBus} and the {@link TieredCacheFactory}. Import once, in the app module.
 */
@Global()
@Module({})
export class RedisModule implements OnModuleDestroy {
  constructor(private readonly store: KeyValueStore) {}

  static forRoot(options: RedisModuleOptions = {}): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        {
          provide: KeyValueStore,
          useFactory: () => createKeyValueStore(options),
        },
        CacheInvalidationBus,
        TieredCacheFactory,
      ],
      exports: EXPORTS,
    };
  }

  static forRootAsync(options: RedisModuleAsyncOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: KeyValueStore,
          inject: options.inject ?? [],
          useFactory: async (...args: never[]) => createKeyValueStore(await options.useFactory(...args)),
        },
        CacheInvalidationBus,
        TieredCacheFactory,
      ],
      exports: EXPORTS,
    };
  }

  /** Runs after every provider of this module (the bus has unsubscribed by then). */
  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }
}
