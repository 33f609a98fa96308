import type { KeyValueStore } from './key-value-store';
import { RedisKeyValueStore } from './redis-key-value-store';
import { describeBreakerStateContract } from './testing/breaker-state.contract';
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

describeBreakerStateContract('redis', {
  create: async () => {
    const keyPrefix = uniquePrefix('cb');
    usedPrefixes.push(keyPrefix);
    return connected(keyPrefix);
  },
  peer: async (store) => connected(prefixes.get(store) as string),
});

describe('RedisKeyValueStore shared breakers on the wire', () => {
  it('keeps the documented layout: one hash per breaker with a one-day idle TTL and plain integer fields', async () => {
    const keyPrefix = uniquePrefix('cblayout');
    usedPrefixes.push(keyPrefix);
    const store = await connected(keyPrefix);
    const raw = rawClient();
    await raw.connect();
    try {
      const key = 'ailink:cb:tok_0123:aaaa';
      const settings = { failureThreshold: 2, cooldownMs: 30_000, failureRateThreshold: 0.9, minSampleSize: 10 };
      const before = Date.now();
      await store.breakerRecord({
        key,
        holder: 'i1',
        settings,
        outcomes: [
          { failed: true, probe: false },
          { failed: true, probe: false },
        ],
      });
      const hash = await raw.hgetall(keyPrefix + key);
      const second = Object.keys(hash)
        .filter((f) => f.startsWith('a:'))
        .map((f) => Number(f.slice(2)));
      expect(hash).toMatchObject({ state: 'open', failures: '2', probe_holder: '', probe_until: '0' });
      expect(hash['opened_at']).toMatch(/^\d{13}$/);
      expect(Number(hash['opened_at'])).toBeGreaterThanOrEqual(before - 1_000);
      expect(second).toHaveLength(1);
      expect(hash[`a:${second[0]}`]).toBe('2');
      expect(hash[`f:${second[0]}`]).toBe('2');
      expect(await raw.ttl(keyPrefix + key)).toBeGreaterThan(86_000);
    } finally {
      raw.disconnect();
      await store.close();
    }
  });
});
