import { CacheInvalidationBus } from './cache-invalidation-bus';
import { INVALIDATION_CHANNEL } from './cache-keys';
import { MemoryKeyValueStore } from './memory-key-value-store';
import { TieredCache, type TieredCacheOptions } from './tiered-cache';
import { TieredCacheFactory } from './tiered-cache.factory';
import { waitFor } from './testing/redis-test-support';

interface Row {
  id: string;
  name: string;
}

/** The system of record: rows by id, counting loads, optionally holding them until released. */
class Source {
  readonly rows = new Map<string, Row>();
  loads = 0;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  readonly loader = async (id: string): Promise<Row | null> => {
    this.loads += 1;
    const row = this.rows.get(id) ?? null; // read when the load begins, like a SELECT
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

/** One gateway instance: its own bus and cache factory on a (possibly shared) store. */
async function instance(store: MemoryKeyValueStore) {
  const bus = new CacheInvalidationBus(store);
  await bus.start();
  return { bus, factory: new TieredCacheFactory(store, bus) };
}

const KEY = 'ailink:res:widget:w1';
const NEG_KEY = 'ailink:res:neg:widget:w1';
const VER_KEY = 'ailink:resver:widget:w1';

describe('TieredCache', () => {
  let store: MemoryKeyValueStore;
  let source: Source;
  let options: TieredCacheOptions<Row>;

  beforeEach(() => {
    store = new MemoryKeyValueStore();
    source = new Source();
    source.rows.set('w1', { id: 'w1', name: 'first' });
    options = {
      kind: 'widget',
      loader: source.loader,
      l1MaxEntries: 100,
      l1TtlMs: 5000,
      l2TtlSecs: 300,
    };
  });

  afterEach(() => store.close());

  it('loads a miss from the source and fills L2 with JSON and its TTL', async () => {
    const cache = new TieredCache(store, options);
    expect(await cache.get('w1')).toEqual({ id: 'w1', name: 'first' });
    expect(source.loads).toBe(1);
    expect(JSON.parse((await store.get(KEY)) ?? 'null')).toEqual({
      id: 'w1',
      name: 'first',
    });
    const ttl = await store.pttl(KEY);
    expect(ttl).toBeGreaterThan(299_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
  });

  it('answers a repeat from L1 without touching the store', async () => {
    const cache = new TieredCache(store, options);
    await cache.get('w1');
    const mget = jest.spyOn(store, 'mget');
    const again = await cache.get('w1');
    expect(again).toEqual({ id: 'w1', name: 'first' });
    expect(mget).not.toHaveBeenCalled();
    expect(source.loads).toBe(1);
  });

  it('answers from L2 when L1 misses (another instance, or after the L1 TTL)', async () => {
    await new TieredCache(store, options).get('w1');
    source.rows.set('w1', { id: 'w1', name: 'changed without invalidation' });

    const other = new TieredCache(store, options);
    expect(await other.get('w1')).toEqual({ id: 'w1', name: 'first' });
    expect(source.loads).toBe(1);

    const shortL1 = new TieredCache(store, { ...options, l1TtlMs: 20 });
    await shortL1.get('w1');
    await new Promise((resolve) => setTimeout(resolve, 40));
    const mget = jest.spyOn(store, 'mget');
    expect(await shortL1.get('w1')).toEqual({ id: 'w1', name: 'first' });
    expect(mget).toHaveBeenCalledTimes(1);
    expect(source.loads).toBe(1);
  });

  it('bounds L1 to l1MaxEntries', async () => {
    for (const id of ['a', 'b', 'c']) source.rows.set(id, { id, name: id });
    const cache = new TieredCache(store, { ...options, l1MaxEntries: 2 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    expect(cache.localSize).toBe(2);
  });

  it('caches a missing id negatively in L1 and L2', async () => {
    const cache = new TieredCache(store, options);
    expect(await cache.get('nope')).toBeNull();
    expect(await cache.get('nope')).toBeNull();
    expect(source.loads).toBe(1);

    expect(await store.get('ailink:res:neg:widget:nope')).not.toBeNull();
    const ttl = await store.pttl('ailink:res:neg:widget:nope');
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await store.get('ailink:res:widget:nope')).toBeNull();

    // A second instance finds the negative entry in L2 and does not ask the source either.
    expect(await new TieredCache(store, options).get('nope')).toBeNull();
    expect(source.loads).toBe(1);
  });

  it('keeps a spray of unknown ids from reaching the source twice', async () => {
    const a = new TieredCache(store, options);
    const b = new TieredCache(store, options);
    const ids = Array.from({ length: 50 }, (_, i) => `unknown-${i}`);
    await Promise.all(ids.map((id) => a.get(id)));
    await Promise.all(ids.map((id) => a.get(id)));
    await Promise.all(ids.map((id) => b.get(id)));
    expect(source.loads).toBe(50);
  });

  it('uses the configured negative TTL', async () => {
    const cache = new TieredCache(store, { ...options, negativeTtlSecs: 5 });
    await cache.get('nope');
    expect(await store.pttl('ailink:res:neg:widget:nope')).toBeLessThanOrEqual(5000);
  });

  it('shares one load between concurrent misses for the same id', async () => {
    source.hold();
    const cache = new TieredCache(store, options);
    const pending = Array.from({ length: 10 }, () => cache.get('w1'));
    await new Promise((resolve) => setImmediate(resolve));
    source.release();
    const results = await Promise.all(pending);
    expect(source.loads).toBe(1);
    expect(results.every((r) => r?.name === 'first')).toBe(true);
  });

  it('passes a loader failure to every waiter and caches nothing', async () => {
    let fail = true;
    const cache = new TieredCache<Row>(store, {
      ...options,
      loader: async (id) => {
        if (fail) throw new Error('db down');
        return source.loader(id);
      },
    });
    const results = await Promise.allSettled([cache.get('w1'), cache.get('w1')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await store.get(KEY)).toBeNull();
    expect(await store.get(NEG_KEY)).toBeNull();
    fail = false;
    expect(await cache.get('w1')).toEqual({ id: 'w1', name: 'first' });
  });

  it('invalidate bumps the version, deletes L2 and publishes the change', async () => {
    const cache = new TieredCache(store, options);
    await cache.get('w1');
    await cache.get('gone');
    const messages: string[] = [];
    await store.subscribe(INVALIDATION_CHANNEL, (m) => messages.push(m));

    await cache.invalidate('w1', 'p-1');
    await cache.invalidate('gone');

    expect(await store.get(KEY)).toBeNull();
    expect(await store.get('ailink:res:neg:widget:gone')).toBeNull();
    expect(await store.getVersion(VER_KEY)).toBe('1');
    expect(await store.pttl(VER_KEY)).toBeGreaterThan(359_000);
    await waitFor(() => messages.length === 2, 1000, 'invalidation messages');
    expect(messages.map((m) => JSON.parse(m))).toEqual([
      { kind: 'widget', id: 'w1', project_id: 'p-1' },
      { kind: 'widget', id: 'gone', project_id: null },
    ]);

    source.rows.set('w1', { id: 'w1', name: 'second' });
    source.rows.set('gone', { id: 'gone', name: 'created' });
    expect(await cache.get('w1')).toEqual({ id: 'w1', name: 'second' });
    expect(await cache.get('gone')).toEqual({ id: 'gone', name: 'created' });
  });

  it('evicts L1 on another instance sharing the store', async () => {
    const a = await instance(store);
    const b = await instance(store);
    const cacheA = a.factory.create(options);
    const cacheB = b.factory.create(options);
    expect((await cacheA.get('w1'))?.name).toBe('first');
    expect((await cacheB.get('w1'))?.name).toBe('first');
    expect(cacheB.localSize).toBe(1);

    source.rows.set('w1', { id: 'w1', name: 'second' });
    await cacheA.invalidate('w1');
    await waitFor(() => cacheB.localSize === 0, 1000, 'eviction on instance B');
    expect((await cacheB.get('w1'))?.name).toBe('second');
  });

  it('routes invalidations by kind only', async () => {
    const { factory } = await instance(store);
    const widgets = factory.create(options);
    const gadgets = factory.create({ ...options, kind: 'gadget' });
    await widgets.get('w1');
    await gadgets.get('w1');
    await new TieredCache(store, { ...options, kind: 'gadget' }).invalidate('w1');
    await waitFor(() => gadgets.localSize === 0, 1000, 'gadget eviction');
    expect(widgets.localSize).toBe(1);
  });

  it('does not let a load that began before a change refill L2 or L1 (version guard)', async () => {
    const reader = new TieredCache(store, options);
    const writer = new TieredCache(store, options);

    source.hold();
    const staleRead = reader.get('w1'); // reads version (none) and the old row, then waits
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.loads).toBe(1);

    source.rows.set('w1', { id: 'w1', name: 'revoked' });
    await writer.invalidate('w1'); // the write commits while the read is in flight
    source.release();

    expect((await staleRead)?.name).toBe('first'); // that caller raced the write...
    expect(await store.get(KEY)).toBeNull(); // ...but could not put the stale row back in L2
    expect((await reader.get('w1'))?.name).toBe('revoked'); // nor in L1
    expect(source.loads).toBe(2);
    expect(JSON.parse((await store.get(KEY)) ?? 'null')).toEqual({
      id: 'w1',
      name: 'revoked',
    });
  });

  it('does not let a negative load that began before a creation refill L2', async () => {
    const cache = new TieredCache(store, options);
    source.hold();
    const before = cache.get('new');
    await new Promise((resolve) => setImmediate(resolve));
    source.rows.set('new', { id: 'new', name: 'created' });
    await cache.invalidate('new');
    source.release();
    expect(await before).toBeNull();
    expect(await store.get('ailink:res:neg:widget:new')).toBeNull();
    expect((await cache.get('new'))?.name).toBe('created');
  });

  it('starts a fresh load after a local eviction instead of joining the stale one', async () => {
    const cache = new TieredCache(store, options);
    source.hold();
    const first = cache.get('w1');
    await new Promise((resolve) => setImmediate(resolve));
    source.rows.set('w1', { id: 'w1', name: 'second' });
    cache.evictLocal('w1');
    source.release();
    const second = cache.get('w1');
    expect((await first)?.name).toBe('first');
    expect((await second)?.name).toBe('second');
    expect(source.loads).toBe(2);
  });

  it('falls through to the source when the store is unreachable', async () => {
    const cache = new TieredCache(store, options);
    jest.spyOn(store, 'mget').mockRejectedValue(new Error('ECONNREFUSED'));
    const setIfVersion = jest.spyOn(store, 'setIfVersion');
    expect((await cache.get('w1'))?.name).toBe('first');
    expect(setIfVersion).not.toHaveBeenCalled();
    expect(source.loads).toBe(1);
  });

  it('treats an undecodable L2 entry as a miss and replaces it', async () => {
    await store.set(KEY, '{not json', 300);
    const cache = new TieredCache(store, options);
    expect((await cache.get('w1'))?.name).toBe('first');
    expect(JSON.parse((await store.get(KEY)) ?? 'null')).toEqual({
      id: 'w1',
      name: 'first',
    });
  });

  it('applies custom serialize/deserialize (e.g. to rebuild derived state)', async () => {
    interface Compiled {
      id: string;
      matcher: RegExp;
    }
    const codec = {
      serialize: (value: Compiled) => JSON.stringify({ id: value.id, pattern: value.matcher.source }),
      deserialize: (raw: string): Compiled => {
        const { id, pattern } = JSON.parse(raw) as {
          id: string;
          pattern: string;
        };
        return { id, matcher: new RegExp(pattern) };
      },
    };
    const base = {
      kind: 'widget',
      l1MaxEntries: 10,
      l1TtlMs: 5000,
      l2TtlSecs: 300,
      ...codec,
    };
    const compiled = new TieredCache<Compiled>(store, {
      ...base,
      loader: async (id) => ({ id, matcher: /^gpt-4/ }),
    });
    await compiled.get('w1');
    expect(JSON.parse((await store.get(KEY)) ?? 'null')).toEqual({
      id: 'w1',
      pattern: '^gpt-4',
    });

    const other = new TieredCache<Compiled>(store, {
      ...base,
      loader: async () => null,
    });
    expect((await other.get('w1'))?.matcher.test('gpt-4o')).toBe(true);
  });

  it('refuses kinds that would collide in the keyspace', () => {
    expect(() => new TieredCache(store, { ...options, kind: 'neg' })).toThrow(/Invalid cache kind/);
    expect(() => new TieredCache(store, { ...options, kind: 'a:b' })).toThrow(/Invalid cache kind/);
    expect(() => new TieredCache(store, { ...options, l1TtlMs: 0 })).toThrow(RangeError);
  });
});
