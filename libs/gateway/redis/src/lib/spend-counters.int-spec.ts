import type { KeyValueStore } from './key-value-store';
import { RedisKeyValueStore } from './redis-key-value-store';
import { describeSpendCountersContract } from './testing/spend-counters.contract';
import { deletePrefix, rawClient, requireRedis, TEST_REDIS_URL, uniquePrefix } from './testing/redis-test-support';

const prefixes = new WeakMap<KeyValueStore, string>();
const usedPrefixes: string[] = [];

async function connected(keyPrefix: string): Promise<RedisKeyValueStore> {
  const store = new RedisKeyValueStore({ url: TEST_REDIS_URL, keyPrefix });
  await store.connect();
  prefixes.set(store, keyPrefix);
  return store;
}

beforeAll(async () => {
  await requireRedis();
});

afterAll(async () => {
  for (const prefix of usedPrefixes) await deletePrefix(prefix);
});

describeSpendCountersContract('redis', {
  create: async () => {
    const keyPrefix = uniquePrefix('spend');
    usedPrefixes.push(keyPrefix);
    return connected(keyPrefix);
  },
  peer: async (store) => connected(prefixes.get(store) as string),
});

describe('RedisKeyValueStore spend counters on the wire', () => {
  it('keeps the documented layout: hash fields, reservation members and expiries, dirty set of unprefixed names', async () => {
    const keyPrefix = uniquePrefix('spendlayout');
    usedPrefixes.push(keyPrefix);
    const store = await connected(keyPrefix);
    const raw = rawClient();
    await raw.connect();
    try {
      const key = 'ailink:spend:token:tok_x:2026-11-25';
      const res = 'ailink:spendres:token:tok_x:2026-11-25';
      const expireAt = Math.floor(Date.now() / 1000) + 3600;
      await store.spendLoad([{ key, spentMicros: 10, requests: 1, expireAtSecs: expireAt }]);
      await store.spendReserve({
        caps: [{ key, reservationKey: res, limitMicros: 1_000 }],
        owner: 'req_a:0',
        amountMicros: 250,
        ttlMs: 120_000,
      });
      expect(await raw.hgetall(keyPrefix + key)).toEqual({ spent: '10', requests: '1', loaded: '1', reserved: '250' });
      expect(await raw.zrange(keyPrefix + res, 0, -1)).toEqual(['req_a:0:250']);
      const ttl = await raw.pttl(keyPrefix + res);
      expect(ttl).toBeGreaterThan(170_000);
      expect(await raw.expiretime(keyPrefix + key)).toBe(expireAt);
      await store.spendSettle({
        guardKey: 'ailink:spendsettled:req_a:0',
        owner: 'req_a:0',
        reservedMicros: 250,
        deltas: [{ key, reservationKey: res, dirtyKey: 'ailink:spend:dirty:org', costMicros: 90, requests: 1, expireAtSecs: expireAt }],
      });
      expect(await raw.hgetall(keyPrefix + key)).toEqual({
        spent: '100',
        requests: '2',
        loaded: '1',
        reserved: '0',
        unflushed: '90',
        unflushed_requests: '1',
      });
      expect(await raw.smembers(keyPrefix + 'ailink:spend:dirty:org')).toEqual([key]);
      expect(await raw.ttl(keyPrefix + 'ailink:spendsettled:req_a:0')).toBeGreaterThan(86_000);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
