import { Test } from '@nestjs/testing';
import { CacheInvalidationBus } from './cache-invalidation-bus';
import { KeyValueStore } from './key-value-store';
import { RedisKeyValueStore } from './redis-key-value-store';
import { RedisModule } from './redis.module';
import { TieredCacheFactory } from './tiered-cache.factory';
import { deletePrefix, rawClient, requireRedis, TEST_REDIS_URL, uniquePrefix } from './testing/redis-test-support';

describe('RedisModule (external mode)', () => {
  let keyPrefix: string;
  let connectionName: string;

  beforeAll(async () => {
    await requireRedis();
  });

  beforeEach(() => {
    keyPrefix = uniquePrefix('module');
    connectionName = `ailink-test-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
  });

  afterEach(async () => {
    await deletePrefix(keyPrefix);
  });

  async function countConnections(): Promise<number> {
    const raw = rawClient();
    await raw.connect();
    try {
      const list = String(await raw.client('LIST'));
      return list.split('\n').filter((l) => l.includes(` name=${connectionName} `) || l.includes(` name=${connectionName}:sub `)).length;
    } finally {
      raw.disconnect();
    }
  }

  it('provides the Redis store with the key prefix, and closes both connections', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [RedisModule.forRoot({ url: TEST_REDIS_URL, keyPrefix, connectionName })],
    }).compile();
    await moduleRef.init();

    const store = moduleRef.get(KeyValueStore);
    expect(store).toBeInstanceOf(RedisKeyValueStore);
    expect(store.mode).toBe('redis');
    expect(await store.ping(1000)).toBe(true);
    expect(moduleRef.get(TieredCacheFactory)).toBeInstanceOf(TieredCacheFactory);
    expect(moduleRef.get(CacheInvalidationBus)).toBeInstanceOf(CacheInvalidationBus);
    expect(await countConnections()).toBe(2);

    await store.set('written', 'through the module');
    const raw = rawClient();
    await raw.connect();
    try {
      expect(await raw.get(`${keyPrefix}written`)).toBe('through the module');
    } finally {
      raw.disconnect();
    }

    await moduleRef.close();
    expect(await store.ping(1000)).toBe(false);
    expect(await countConnections()).toBe(0);
  });

  it('fails startup with a clear message when Redis is unreachable', async () => {
    const started = Date.now();
    const moduleRef = await Test.createTestingModule({
      imports: [RedisModule.forRoot({ url: 'redis://127.0.0.1:6390', keyPrefix })],
    })
      .compile()
      .catch((error: unknown) => error);
    expect(moduleRef).toBeInstanceOf(Error);
    expect(String(moduleRef)).toMatch(/Redis at redis:\/\/127\.0\.0\.1:6390 is unreachable/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
