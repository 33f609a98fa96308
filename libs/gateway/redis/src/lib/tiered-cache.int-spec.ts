import { CacheInvalidationBus } from './cache-invalidation-bus';
import { RedisKeyValueStore } from './redis-key-value-store';
import type { TieredCacheOptions } from './tiered-cache';
import { TieredCacheFactory } from './tiered-cache.factory';
import { deletePrefix, PausableProxy, rawClient, requireRedis, TEST_REDIS_URL, uniquePrefix, waitFor } from './testing/redis-test-support';

interface Token {
  id: string;
  active: boolean;
}

/** PostgreSQL stand-in: rows by id, counting loads, optionally held until released. */
class Source {
  readonly rows = new Map<string, Token>();
  loads = 0;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  readonly loader = async (id: string): Promise<Token | null> => {
    this.loads += 1;
    const row = this.rows.get(id) ?? null;
    if (this.gate) await this.gate;
    return row ? { ...row } : null;
  };

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = null;
  }
}

describe('TieredCache on Redis (two gateway instances)', () => {
  const stores: RedisKeyValueStore[] = [];
  const buses: CacheInvalidationBus[] = [];
  let keyPrefix: string;
  let source: Source;
  let options: TieredCacheOptions<Token>;

  /** One gateway instance: own connections, bus and factory; shared Redis and prefix. */
  async function gateway(url = TEST_REDIS_URL, connectionName?: string) {
    const store = new RedisKeyValueStore({ url, keyPrefix, connectionName });
    stores.push(store);
    await store.connect();
    const bus = new CacheInvalidationBus(store);
    buses.push(bus);
    await bus.start();
    return { store, bus, factory: new TieredCacheFactory(store, bus) };
  }

  beforeAll(async () => {
    await requireRedis();
  });

  beforeEach(() => {
    keyPrefix = uniquePrefix('cache');
    source = new Source();
    source.rows.set('tok_1', { id: 'tok_1', active: true });
    options = {
      kind: 'token',
      loader: source.loader,
      l1MaxEntries: 100,
      l1TtlMs: 60_000,
      l2TtlSecs: 300,
    };
  });

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.onModuleDestroy()));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await deletePrefix(keyPrefix);
  });

  it('shares L2 between instances and keeps the loader to one call', async () => {
    const a = await gateway();
    const b = await gateway();
    const cacheA = a.factory.create(options);
    const cacheB = b.factory.create(options);
    expect(await cacheA.get('tok_1')).toEqual({ id: 'tok_1', active: true });
    expect(await cacheB.get('tok_1')).toEqual({ id: 'tok_1', active: true });
    expect(source.loads).toBe(1);
    expect(JSON.parse((await a.store.get('ailink:res:token:tok_1')) ?? 'null')).toEqual({
      id: 'tok_1',
      active: true,
    });
  });

  it('evicts the other instance’s L1 within 1 s of an invalidation', async () => {
    const a = await gateway();
    const b = await gateway();
    const cacheA = a.factory.create(options);
    const cacheB = b.factory.create(options);
    await cacheA.get('tok_1');
    await cacheB.get('tok_1');
    expect(cacheB.localSize).toBe(1);

    source.rows.set('tok_1', { id: 'tok_1', active: false });
    const started = Date.now();
    await cacheA.invalidate('tok_1', 'proj-1');
    await waitFor(() => cacheB.localSize === 0, 1000, 'eviction on instance B');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await cacheB.get('tok_1')).toEqual({ id: 'tok_1', active: false });
  });

  it('caches unknown ids negatively across instances', async () => {
    const a = await gateway();
    const b = await gateway();
    const cacheA = a.factory.create(options);
    const cacheB = b.factory.create(options);
    const ids = Array.from({ length: 20 }, (_, i) => `tok_unknown_${i}`);
    await Promise.all(ids.map((id) => cacheA.get(id)));
    await Promise.all(ids.map((id) => cacheB.get(id)));
    await Promise.all(ids.map((id) => cacheA.get(id)));
    expect(source.loads).toBe(20);
    const ttl = await a.store.pttl('ailink:res:neg:token:tok_unknown_0');
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('shares one load between concurrent misses', async () => {
    const { factory } = await gateway();
    const cache = factory.create(options);
    source.hold();
    const pending = Array.from({ length: 20 }, () => cache.get('tok_1'));
    await waitFor(() => source.loads === 1, 1000, 'the load to start');
    source.release();
    const results = await Promise.all(pending);
    expect(results.every((r) => r?.active === true)).toBe(true);
    expect(source.loads).toBe(1);
  });

  it('stops a read that raced a revoke from refilling L2 with the stale row', async () => {
    const a = await gateway();
    const b = await gateway();
    const reader = a.factory.create(options);
    const writer = b.factory.create(options);

    source.hold();
    const racing = reader.get('tok_1');
    await waitFor(() => source.loads === 1, 1000, 'the load to start');
    source.rows.set('tok_1', { id: 'tok_1', active: false });
    await writer.invalidate('tok_1');
    source.release();

    expect(await racing).toEqual({ id: 'tok_1', active: true });
    expect(await a.store.get('ailink:res:token:tok_1')).toBeNull();
    expect(await a.store.getVersion('ailink:resver:token:tok_1')).toBe('1');
    expect(await reader.get('tok_1')).toEqual({ id: 'tok_1', active: false });
    expect(await writer.get('tok_1')).toEqual({ id: 'tok_1', active: false });
    expect(source.loads).toBe(2);
  });

  it('clears L1 when the subscriber connection comes back', async () => {
    const connectionName = `ailink-test-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    const { factory } = await gateway(TEST_REDIS_URL, connectionName);
    const cache = factory.create(options);
    await cache.get('tok_1');
    expect(cache.localSize).toBe(1);

    const raw = rawClient();
    await raw.connect();
    try {
      const list = String(await raw.client('LIST'));
      const line = list.split('\n').find((l) => l.includes(` name=${connectionName}:sub `));
      const id = /(?:^|\s)id=(\d+)/.exec(line ?? '')?.[1];
      expect(id).toBeDefined();
      await raw.client('KILL', 'ID', String(id));
    } finally {
      raw.disconnect();
    }
    await waitFor(() => cache.localSize === 0, 5000, 'L1 reset after reconnect');
  });

  it('falls through to the loader while Redis is down', async () => {
    const proxy = new PausableProxy();
    const url = await proxy.start();
    try {
      const { factory } = await gateway(url);
      const cache = factory.create(options);
      proxy.pause();
      const started = Date.now();
      expect(await cache.get('tok_1')).toEqual({ id: 'tok_1', active: true });
      expect(Date.now() - started).toBeLessThan(4000);
      expect(source.loads).toBe(1);
    } finally {
      await proxy.stop();
    }
  });
});
