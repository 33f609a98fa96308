import type { BreakerOutcome, BreakerSettings } from '../breaker-state';
import type { KeyValueStore } from '../key-value-store';
import type { KeyValueStoreFixture } from './key-value-store.contract';

const SETTINGS: BreakerSettings = { failureThreshold: 3, cooldownMs: 150, minSampleSize: 10 };
const FAIL: BreakerOutcome = { failed: true, probe: false };
const OK: BreakerOutcome = { failed: false, probe: false };
const PROBE_OK: BreakerOutcome = { failed: false, probe: true };
const PROBE_FAIL: BreakerOutcome = { failed: true, probe: true };
const KEY = 'ailink:cb:tok_x:0123456789abcdef0123456789abcdef01234567';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The shared circuit-breaker steps (proxy.md §13), the same on every backend: run against the memory
 * backend (unit tier) and real Redis (integration tier). Uses real time with short cooldowns.
 */
export function describeBreakerStateContract(name: string, fixture: KeyValueStoreFixture): void {
  describe(`shared breaker state: ${name}`, () => {
    const open: KeyValueStore[] = [];
    let store: KeyValueStore;

    beforeEach(async () => {
      store = await fixture.create();
      open.push(store);
    });

    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('reads a missing breaker as closed and records nothing for an empty batch', async () => {
      expect(await store.breakerRead([KEY, 'other'], 'a')).toEqual([
        { state: 'closed', failures: 0, openForMs: 0, leaseMs: 0, otherLeaseMs: 0 },
        { state: 'closed', failures: 0, openForMs: 0, leaseMs: 0, otherLeaseMs: 0 },
      ]);
      expect(await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [] })).toMatchObject({
        state: 'closed',
        opened: false,
      });
      expect(await store.breakerRead([], 'a')).toEqual([]);
    });

    it('opens after failure_threshold consecutive failures, reported once, and a success resets the count', async () => {
      const first = await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [FAIL, FAIL, OK, FAIL] });
      expect(first).toMatchObject({ state: 'closed', failures: 1, opened: false });
      const second = await store.breakerRecord({ key: KEY, holder: 'b', settings: SETTINGS, outcomes: [FAIL] });
      expect(second).toMatchObject({ state: 'closed', failures: 2, opened: false });
      const third = await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [FAIL, FAIL] });
      expect(third).toMatchObject({ state: 'open', failures: 4, opened: true, openedFailures: 3 });
      expect(third.openForMs).toBeLessThan(100);
      // Already open: later failures count but do not report another opening or restart the cooldown.
      await sleep(20);
      const later = await store.breakerRecord({ key: KEY, holder: 'b', settings: SETTINGS, outcomes: [FAIL] });
      expect(later).toMatchObject({ state: 'open', failures: 5, opened: false });
      expect(later.openForMs).toBeGreaterThanOrEqual(15);
      // A non-probe success while open changes nothing.
      expect(await store.breakerRecord({ key: KEY, holder: 'b', settings: SETTINGS, outcomes: [OK] })).toMatchObject({
        state: 'open',
        failures: 5,
      });
      const peer = await fixture.peer(store);
      open.push(peer);
      const [peerView] = await peer.breakerRead([KEY], 'c');
      expect(peerView).toMatchObject({ state: 'open', failures: 5 });
    });

    it('grants the probe lease to one holder after the cooldown; a probe success closes and resets', async () => {
      await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [FAIL, FAIL, FAIL] });
      expect(await store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 5_000)).toMatchObject({ granted: false, state: 'open' });
      await sleep(SETTINGS.cooldownMs + 20);
      const a = await store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 5_000);
      expect(a.granted).toBe(true);
      expect(a.leaseMs).toBeGreaterThan(4_900);
      expect(a.otherLeaseMs).toBe(0);
      const b = await store.breakerClaimProbe(KEY, 'b', SETTINGS.cooldownMs, 5_000);
      expect(b.granted).toBe(false);
      expect(b.leaseMs).toBe(0);
      expect(b.otherLeaseMs).toBeGreaterThan(4_900);
      // The holder may renew its own lease.
      expect((await store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 5_000)).granted).toBe(true);
      const closed = await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [PROBE_OK] });
      expect(closed).toEqual({ state: 'closed', failures: 0, openForMs: 0, leaseMs: 0, otherLeaseMs: 0, opened: false, openedFailures: 0 });
      expect((await store.breakerRead([KEY], 'b'))[0]).toEqual({ state: 'closed', failures: 0, openForMs: 0, leaseMs: 0, otherLeaseMs: 0 });
    });

    it('a probe failure reopens (not reported again: it did not open from closed) and restarts the cooldown; the lease is gone', async () => {
      await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [FAIL, FAIL, FAIL] });
      await sleep(SETTINGS.cooldownMs + 20);
      expect((await store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 5_000)).granted).toBe(true);
      const reopened = await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [PROBE_FAIL] });
      expect(reopened).toMatchObject({ state: 'open', failures: 4, opened: false, leaseMs: 0 });
      expect(reopened.openForMs).toBeLessThan(100);
      expect((await store.breakerClaimProbe(KEY, 'b', SETTINGS.cooldownMs, 5_000)).granted).toBe(false);
    });

    it('releases a lease only for its holder, and lets another instance claim after a lease expires', async () => {
      await store.breakerRecord({ key: KEY, holder: 'a', settings: SETTINGS, outcomes: [FAIL, FAIL, FAIL] });
      await sleep(SETTINGS.cooldownMs + 20);
      expect((await store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 5_000)).granted).toBe(true);
      expect((await store.breakerReleaseProbe(KEY, 'b')).otherLeaseMs).toBeGreaterThan(0);
      expect((await store.breakerReleaseProbe(KEY, 'a')).leaseMs).toBe(0);
      expect((await store.breakerClaimProbe(KEY, 'b', SETTINGS.cooldownMs, 100)).granted).toBe(true);
      expect((await store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 100)).granted).toBe(false);
      await sleep(150);
      expect((await store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 100)).granted).toBe(true);
      expect(await store.breakerReleaseProbe('ailink:cb:missing', 'a')).toMatchObject({ state: 'closed' });
    });

    it('opens on the failure rate over the last 60 s once min_sample_size attempts were seen', async () => {
      const rate: BreakerSettings = { failureThreshold: 100, cooldownMs: 1_000, failureRateThreshold: 0.5, minSampleSize: 4 };
      expect(await store.breakerRecord({ key: KEY, holder: 'a', settings: rate, outcomes: [OK, FAIL, OK] })).toMatchObject({
        state: 'closed',
      });
      const tripped = await store.breakerRecord({ key: KEY, holder: 'b', settings: rate, outcomes: [FAIL] });
      expect(tripped).toMatchObject({ state: 'open', opened: true, openedFailures: 1 });
    });

    it('does not trip on the rate below min_sample_size or below the ratio', async () => {
      const rate: BreakerSettings = { failureThreshold: 100, cooldownMs: 1_000, failureRateThreshold: 0.75, minSampleSize: 4 };
      expect(await store.breakerRecord({ key: KEY, holder: 'a', settings: rate, outcomes: [FAIL, FAIL, FAIL] })).toMatchObject({
        state: 'closed',
      });
      // A success never trips, even at 3 of 4 failed; the next failure (4 of 5) does.
      expect(await store.breakerRecord({ key: KEY, holder: 'a', settings: rate, outcomes: [OK] })).toMatchObject({ state: 'closed' });
      expect(await store.breakerRecord({ key: KEY, holder: 'a', settings: rate, outcomes: [FAIL] })).toMatchObject({ state: 'open' });
    });

    it('is atomic under concurrency: exactly one of many concurrent batches reports the opening', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.breakerRecord({ key: KEY, holder: `h${i}`, settings: SETTINGS, outcomes: [FAIL] })),
      );
      expect(results.filter((r) => r.opened)).toHaveLength(1);
      expect((await store.breakerRead([KEY], 'x'))[0]).toMatchObject({ state: 'open', failures: 20 });
    });

    it('rejects bad settings and arguments without changing anything', async () => {
      await expect(
        store.breakerRecord({ key: KEY, holder: 'a', settings: { ...SETTINGS, failureThreshold: 0 }, outcomes: [FAIL] }),
      ).rejects.toThrow(RangeError);
      await expect(
        store.breakerRecord({ key: KEY, holder: 'a', settings: { ...SETTINGS, failureRateThreshold: 1.5 }, outcomes: [FAIL] }),
      ).rejects.toThrow(RangeError);
      await expect(store.breakerRecord({ key: KEY, holder: '', settings: SETTINGS, outcomes: [FAIL] })).rejects.toThrow(RangeError);
      await expect(store.breakerClaimProbe(KEY, 'a', SETTINGS.cooldownMs, 0)).rejects.toThrow(RangeError);
      expect((await store.breakerRead([KEY], 'a'))[0].failures).toBe(0);
    });
  });
}
