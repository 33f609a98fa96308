import { MemoryKeyValueStore } from './memory-key-value-store';
import { describeSpendCountersContract } from './testing/spend-counters.contract';

describeSpendCountersContract('memory', {
  create: async () => new MemoryKeyValueStore(),
  peer: async (store) => store,
});

describe('MemoryKeyValueStore spend counters', () => {
  it('expires counters at their EXPIREAT and guards after their TTL', async () => {
    let now = 1_000_000;
    const store = new MemoryKeyValueStore(() => now);
    try {
      const key = 'ailink:spend:token:t:2026-01-01';
      await store.spendLoad([{ key, spentMicros: 5, requests: 1, expireAtSecs: 1_010 }]);
      const delta = {
        key,
        reservationKey: 'ailink:spendres:token:t:2026-01-01',
        dirtyKey: 'd',
        costMicros: 1,
        requests: 1,
        expireAtSecs: 1_010,
      };
      expect(await store.spendSettle({ guardKey: 'g', guardTtlSecs: 5, deltas: [delta] })).toEqual({ status: 'settled', spentMicros: [6] });
      expect(await store.spendSettle({ guardKey: 'g', guardTtlSecs: 5, deltas: [delta] })).toEqual({ status: 'duplicate' });
      now += 5_000;
      expect(await store.spendSettle({ guardKey: 'g', guardTtlSecs: 5, deltas: [delta] })).toEqual({ status: 'settled', spentMicros: [7] });
      expect((await store.spendRead([key]))[0].spentMicros).toBe(7);
      now = 1_010_000;
      expect((await store.spendRead([key]))[0]).toEqual({ loaded: false, spentMicros: 0, reservedMicros: 0, requests: 0 });
    } finally {
      await store.close();
    }
  });
});
