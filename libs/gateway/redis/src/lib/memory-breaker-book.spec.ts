import { MemoryKeyValueStore } from './memory-key-value-store';
import { describeBreakerStateContract } from './testing/breaker-state.contract';

describeBreakerStateContract('memory', {
  create: async () => new MemoryKeyValueStore(),
  peer: async (store) => store,
});

describe('MemoryKeyValueStore shared breakers', () => {
  it('forgets a breaker a day after its last write', async () => {
    let now = 1_000_000;
    const store = new MemoryKeyValueStore(() => now);
    try {
      const settings = { failureThreshold: 1, cooldownMs: 1_000, minSampleSize: 1 };
      await store.breakerRecord({ key: 'k', holder: 'a', settings, outcomes: [{ failed: true, probe: false }] });
      now += 86_399_000;
      expect((await store.breakerRead(['k'], 'a'))[0].state).toBe('open');
      now += 1_000;
      expect((await store.breakerRead(['k'], 'a'))[0]).toEqual({ state: 'closed', failures: 0, openForMs: 0, leaseMs: 0, otherLeaseMs: 0 });
    } finally {
      await store.close();
    }
  });

  it('forgets failure-rate buckets older than 60 s', async () => {
    let now = 1_000_000;
    const store = new MemoryKeyValueStore(() => now);
    try {
      const settings = { failureThreshold: 100, cooldownMs: 1_000, failureRateThreshold: 0.5, minSampleSize: 2 };
      const fail = { failed: true, probe: false };
      await store.breakerRecord({ key: 'k', holder: 'a', settings, outcomes: [fail] });
      now += 60_000;
      // The first failure left the window: one attempt is below min_sample_size.
      expect((await store.breakerRecord({ key: 'k', holder: 'a', settings, outcomes: [{ failed: false, probe: false }] })).state).toBe(
        'closed',
      );
      expect((await store.breakerRecord({ key: 'k', holder: 'a', settings, outcomes: [fail] })).state).toBe('open');
    } finally {
      await store.close();
    }
  });
});
