import type { KeyValueStore } from './key-value-store';
import { RedisKeyValueStore, type RedisKeyValueStoreOptions } from './redis-key-value-store';
import { describeKeyValueStoreContract } from './testing/key-value-store.contract';
import { deletePrefix, PausableProxy, rawClient, requireRedis, TEST_REDIS_URL, uniquePrefix, waitFor } from './testing/redis-test-support';

const UNREACHABLE_URL = 'redis://127.0.0.1:6390';

const prefixes = new WeakMap<KeyValueStore, string>();
const usedPrefixes: string[] = [];

async function connected(options: RedisKeyValueStoreOptions): Promise<RedisKeyValueStore> {
  const store = new RedisKeyValueStore(options);
  await store.connect();
  return store;
}

beforeAll(async () => {
  await requireRedis();
});

afterAll(async () => {
  for (const prefix of usedPrefixes) await deletePrefix(prefix);
});

describeKeyValueStoreContract('redis', {
  create: async () => {
    const keyPrefix = uniquePrefix('kv');
    usedPrefixes.push(keyPrefix);
    const store = await connected({ url: TEST_REDIS_URL, keyPrefix });
    prefixes.set(store, keyPrefix);
    return store;
  },
  peer: async (store) => connected({ url: TEST_REDIS_URL, keyPrefix: prefixes.get(store) }),
});

describe('RedisKeyValueStore', () => {
  const open: RedisKeyValueStore[] = [];
  let keyPrefix: string;

  async function instance(options: Partial<RedisKeyValueStoreOptions> = {}) {
    const store = await connected({
      url: TEST_REDIS_URL,
      keyPrefix,
      ...options,
    });
    open.push(store);
    return store;
  }

  beforeEach(() => {
    keyPrefix = uniquePrefix('kv');
    usedPrefixes.push(keyPrefix);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('reports the redis mode', async () => {
    expect((await instance()).mode).toBe('redis');
  });

  it('admits exactly the limit out of 50 concurrent calls across two instances', async () => {
    const a = await instance();
    const b = await instance();
    const calls = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).slidingWindow('ailink:rl:default:tok:tok_x', 10, 60_000));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    const raw = rawClient();
    await raw.connect();
    try {
      expect(await raw.zcard(`${keyPrefix}ailink:rl:default:tok:tok_x`)).toBe(10);
    } finally {
      raw.disconnect();
    }
  });

  it('applies the key prefix to keys, script keys and channels', async () => {
    const store = await instance();
    await store.set('plain', 'v');
    await store.slidingWindow('window', 5, 1000);
    await store.bumpVersion('ver', 60);
    await store.setIfVersion('guarded', 'g', 60, 'ver', '1');
    await store.incr('counter', 1, 60);

    const received: string[] = [];
    await store.subscribe('chan', (m) => received.push(m));

    const raw = rawClient();
    await raw.connect();
    try {
      const keys = (await raw.keys(`${keyPrefix}*`)).map((k) => k.slice(keyPrefix.length)).sort();
      expect(keys).toEqual(['counter', 'guarded', 'plain', 'ver', 'window']);
      expect(await raw.get('plain')).toBeNull();

      await raw.publish('chan', 'unprefixed: not for us');
      await raw.publish(`${keyPrefix}chan`, 'prefixed');
      await waitFor(() => received.length > 0, 2000, 'prefixed message');
      expect(received).toEqual(['prefixed']);
    } finally {
      raw.disconnect();
    }
  });

  it('keeps channels of different prefixes apart', async () => {
    const a = await instance();
    const b = await instance({ keyPrefix: uniquePrefix('other') });
    const gotA: string[] = [];
    const gotB: string[] = [];
    await a.subscribe('chan', (m) => gotA.push(m));
    await b.subscribe('chan', (m) => gotB.push(m));
    await a.publish('chan', 'for a');
    await b.publish('chan', 'for b');
    await waitFor(() => gotA.length === 1 && gotB.length === 1, 2000, 'messages');
    expect([gotA, gotB]).toEqual([['for a'], ['for b']]);
  });

  it('answers ping false quickly for an unreachable Redis instead of hanging', async () => {
    const store = new RedisKeyValueStore({ url: UNREACHABLE_URL, keyPrefix });
    open.push(store);
    const started = Date.now();
    expect(await store.ping(300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fails commands fast when Redis is unreachable', async () => {
    const store = new RedisKeyValueStore({ url: UNREACHABLE_URL, keyPrefix });
    open.push(store);
    const started = Date.now();
    await expect(store.get('k')).rejects.toThrow();
    await expect(store.slidingWindow('rl', 1, 1000)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses to connect to an unreachable Redis with a clear, redacted message', async () => {
    const store = new RedisKeyValueStore({
      url: 'redis://:hunter2@127.0.0.1:6390',
      keyPrefix,
    });
    open.push(store);
    const failure = store.connect();
    await expect(failure).rejects.toThrow(/Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:6390.* is unreachable/);
    await expect(failure).rejects.toThrow(/unset REDIS_URL/);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('resubscribes and reports the reconnect after losing the subscriber connection', async () => {
    const connectionName = `ailink-test-${keyPrefix.replace(/[^a-z0-9]/gi, '')}`;
    const store = await instance({ connectionName });
    const received: string[] = [];
    let reconnects = 0;
    store.onReconnect(() => {
      reconnects += 1;
    });
    await store.subscribe('chan', (m) => received.push(m));

    const raw = rawClient();
    await raw.connect();
    try {
      const list = String(await raw.client('LIST'));
      const line = list.split('\n').find((l) => l.includes(` name=${connectionName}:sub `));
      expect(line).toBeDefined();
      const id = /(?:^|\s)id=(\d+)/.exec(line ?? '')?.[1];
      await raw.client('KILL', 'ID', String(id));
    } finally {
      raw.disconnect();
    }

    await waitFor(() => reconnects === 1, 5000, 'reconnect handler');
    await store.publish('chan', 'after reconnect');
    await waitFor(() => received.length === 1, 2000, 'message after reconnect');
    expect(received).toEqual(['after reconnect']);
  });

  it('rides out an outage: fails fast while down, works again afterwards', async () => {
    const proxy = new PausableProxy();
    const url = await proxy.start();
    try {
      const store = await instance({ url });
      let reconnects = 0;
      store.onReconnect(() => {
        reconnects += 1;
      });
      await store.subscribe('chan', () => undefined);
      await store.set('k', 'v');

      proxy.pause();
      const started = Date.now();
      expect(await store.ping(300)).toBe(false);
      await expect(store.get('k')).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(4000);

      proxy.resume();
      await waitFor(() => store.ping(300), 5000, 'ping after the outage');
      expect(await store.get('k')).toBe('v');
      await waitFor(() => reconnects === 1, 5000, 'reconnect handler');
    } finally {
      await proxy.stop();
    }
  });
});
