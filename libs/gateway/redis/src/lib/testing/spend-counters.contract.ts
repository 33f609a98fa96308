import type { KeyValueStore } from '../key-value-store';
import type { SpendCapCheck, SpendCounterDelta } from '../spend-counters';
import type { KeyValueStoreFixture } from './key-value-store.contract';

function cap(name: string, limitMicros: number): SpendCapCheck {
  return { key: `ailink:spend:token:${name}`, reservationKey: `ailink:spendres:token:${name}`, limitMicros };
}

function delta(name: string, costMicros: number, requests = 1, expireAtSecs: number | null = null): SpendCounterDelta {
  return {
    key: `ailink:spend:token:${name}`,
    reservationKey: `ailink:spendres:token:${name}`,
    dirtyKey: 'ailink:spend:dirty:org1',
    costMicros,
    requests,
    expireAtSecs,
  };
}

async function loadZero(store: KeyValueStore, ...names: string[]): Promise<void> {
  await store.spendLoad(names.map((n) => ({ key: `ailink:spend:token:${n}`, spentMicros: 0, requests: 0, expireAtSecs: null })));
}

/**
 * The spend counters' behaviour (vault-and-spend.md §6, §8), the same on every backend: run against
 * the memory backend (unit tier) and real Redis (integration tier).
 */
export function describeSpendCountersContract(name: string, fixture: KeyValueStoreFixture): void {
  describe(`spend counters: ${name}`, () => {
    const open: KeyValueStore[] = [];
    let store: KeyValueStore;

    beforeEach(async () => {
      store = await fixture.create();
      open.push(store);
    });

    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('answers need_load for counters without a base and changes nothing', async () => {
      await loadZero(store, 'a');
      const result = await store.spendReserve({ caps: [cap('a', 100), cap('b', 100)], owner: 'r1', amountMicros: 10, ttlMs: 60_000 });
      expect(result).toEqual({ status: 'need_load', indexes: [1] });
      expect((await store.spendRead(['ailink:spend:token:a']))[0]).toEqual({
        loaded: true,
        spentMicros: 0,
        reservedMicros: 0,
        requests: 0,
      });
      const settle = await store.spendSettle({ guardKey: 'g1', deltas: [delta('a', 5), delta('b', 5)] });
      expect(settle).toEqual({ status: 'need_load', indexes: [1] });
      // The guard was not consumed: after the load the same settle applies.
      await loadZero(store, 'b');
      expect(await store.spendSettle({ guardKey: 'g1', deltas: [delta('a', 5), delta('b', 5)] })).toEqual({
        status: 'settled',
        spentMicros: [5, 5],
      });
    });

    it('loads a base once: a second load of the same counter changes nothing', async () => {
      await store.spendLoad([{ key: 'ailink:spend:token:x', spentMicros: 700, requests: 3, expireAtSecs: null }]);
      await store.spendLoad([{ key: 'ailink:spend:token:x', spentMicros: 700, requests: 3, expireAtSecs: null }]);
      expect(await store.spendRead(['ailink:spend:token:x', 'ailink:spend:token:none'])).toEqual([
        { loaded: true, spentMicros: 700, requests: 3, reservedMicros: 0 },
        { loaded: false, spentMicros: 0, requests: 0, reservedMicros: 0 },
      ]);
    });

    it('admits while spent + reserved + estimate fits, all or nothing across caps', async () => {
      await store.spendLoad([
        { key: 'ailink:spend:token:d', spentMicros: 50, requests: 0, expireAtSecs: null },
        { key: 'ailink:spend:token:m', spentMicros: 0, requests: 0, expireAtSecs: null },
      ]);
      const first = await store.spendReserve({ caps: [cap('d', 100), cap('m', 1000)], owner: 'r1', amountMicros: 30, ttlMs: 60_000 });
      expect(first).toEqual({ status: 'reserved', remainingMicros: [20, 970] });
      const second = await store.spendReserve({ caps: [cap('m', 1000), cap('d', 100)], owner: 'r2', amountMicros: 30, ttlMs: 60_000 });
      expect(second).toEqual({ status: 'rejected', index: 1, spentMicros: 50, reservedMicros: 30 });
      // The refused request reserved nothing on the cap that would have admitted it.
      expect((await store.spendRead(['ailink:spend:token:m']))[0].reservedMicros).toBe(30);
      const exact = await store.spendReserve({ caps: [cap('d', 100)], owner: 'r3', amountMicros: 20, ttlMs: 60_000 });
      expect(exact).toEqual({ status: 'reserved', remainingMicros: [0] });
    });

    it('a cap of 0 refuses any priced request and admits a free one', async () => {
      await loadZero(store, 'z');
      expect((await store.spendReserve({ caps: [cap('z', 0)], owner: 'r1', amountMicros: 1, ttlMs: 60_000 })).status).toBe('rejected');
      expect((await store.spendReserve({ caps: [cap('z', 0)], owner: 'r2', amountMicros: 0, ttlMs: 60_000 })).status).toBe('reserved');
    });

    it('settles once: releases the reservation, adds the cost, counts the request, marks the counter dirty', async () => {
      await loadZero(store, 's');
      await store.spendReserve({ caps: [cap('s', 1000)], owner: 'req1:0', amountMicros: 300, ttlMs: 60_000 });
      const settle = { guardKey: 'ailink:spendsettled:req1:0', owner: 'req1:0', reservedMicros: 300, deltas: [delta('s', 120)] };
      expect(await store.spendSettle(settle)).toEqual({ status: 'settled', spentMicros: [120] });
      expect(await store.spendSettle(settle)).toEqual({ status: 'duplicate' });
      expect((await store.spendRead(['ailink:spend:token:s']))[0]).toEqual({
        loaded: true,
        spentMicros: 120,
        reservedMicros: 0,
        requests: 1,
      });
      const taken = await store.spendTakeUnflushed('ailink:spend:dirty:org1', 100);
      expect(taken).toEqual([{ key: 'ailink:spend:token:s', spentMicros: 120, requests: 1 }]);
      expect(await store.spendTakeUnflushed('ailink:spend:dirty:org1', 100)).toEqual([]);
    });

    it('gives taken amounts back after a failed flush, to be taken again', async () => {
      await loadZero(store, 'f');
      await store.spendSettle({ deltas: [delta('f', 40, 2)] });
      const taken = await store.spendTakeUnflushed('ailink:spend:dirty:org1', 10);
      await store.spendSettle({ deltas: [delta('f', 2, 1)] });
      await store.spendReturnUnflushed('ailink:spend:dirty:org1', taken);
      expect(await store.spendTakeUnflushed('ailink:spend:dirty:org1', 10)).toEqual([
        { key: 'ailink:spend:token:f', spentMicros: 42, requests: 3 },
      ]);
      expect((await store.spendRead(['ailink:spend:token:f']))[0].spentMicros).toBe(42);
    });

    it('handles zero amounts: a free request is counted, reserved, released and flushed', async () => {
      await loadZero(store, 'zero');
      const t0 = 7_000_000;
      await store.spendReserve({ caps: [cap('zero', 100)], owner: 'expired', amountMicros: 0, ttlMs: 10, nowMs: t0 });
      // Dropping an expired reservation of 0 and admitting another of 0.
      expect(
        await store.spendReserve({ caps: [cap('zero', 100)], owner: 'free:0', amountMicros: 0, ttlMs: 60_000, nowMs: t0 + 20 }),
      ).toEqual({
        status: 'reserved',
        remainingMicros: [100],
      });
      expect(await store.spendSettle({ guardKey: 'g-zero', owner: 'free:0', reservedMicros: 0, deltas: [delta('zero', 0, 1)] })).toEqual({
        status: 'settled',
        spentMicros: [0],
      });
      expect(await store.spendTakeUnflushed('ailink:spend:dirty:org1', 10)).toEqual([
        { key: 'ailink:spend:token:zero', spentMicros: 0, requests: 1 },
      ]);
      expect((await store.spendRead(['ailink:spend:token:zero']))[0]).toEqual({
        loaded: true,
        spentMicros: 0,
        reservedMicros: 0,
        requests: 1,
      });
    });

    it('drops expired reservations before admitting, and refresh keeps a live one', async () => {
      await loadZero(store, 'e');
      const t0 = 5_000_000;
      await store.spendReserve({ caps: [cap('e', 100)], owner: 'old', amountMicros: 80, ttlMs: 1000, nowMs: t0 });
      expect(
        (await store.spendReserve({ caps: [cap('e', 100)], owner: 'n1', amountMicros: 80, ttlMs: 1000, nowMs: t0 + 999 })).status,
      ).toBe('rejected');
      const later = await store.spendReserve({ caps: [cap('e', 100)], owner: 'n2', amountMicros: 80, ttlMs: 1000, nowMs: t0 + 1000 });
      expect(later).toEqual({ status: 'reserved', remainingMicros: [20] });
      expect(await store.spendRefresh(['ailink:spendres:token:e'], 'n2:80', 60_000)).toBe(1);
      expect(await store.spendRefresh(['ailink:spendres:token:e'], 'old:80', 60_000)).toBe(0);
    });

    it('200 concurrent reservations against a cap that admits 10 admit exactly 10', async () => {
      await loadZero(store, 'c');
      const peers = [store, await fixture.peer(store), await fixture.peer(store)];
      for (const p of peers) if (p !== store) open.push(p);
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          peers[i % peers.length].spendReserve({ caps: [cap('c', 10_500)], owner: `req${i}`, amountMicros: 1000, ttlMs: 60_000 }),
        ),
      );
      expect(results.filter((r) => r.status === 'reserved')).toHaveLength(10);
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(190);
      expect((await store.spendRead(['ailink:spend:token:c']))[0].reservedMicros).toBe(10_000);
    });

    it('200 concurrent reserve-then-settle requests never push spend past the cap when actual = estimate', async () => {
      await loadZero(store, 'cs');
      const peers = [store, await fixture.peer(store)];
      for (const p of peers) if (p !== store) open.push(p);
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const s = peers[i % peers.length];
          const owner = `r${i}:0`;
          const r = await s.spendReserve({ caps: [cap('cs', 10_500)], owner, amountMicros: 1050, ttlMs: 60_000 });
          if (r.status !== 'reserved') return false;
          await s.spendSettle({ guardKey: `g:${owner}`, owner, reservedMicros: 1050, deltas: [delta('cs', 1050)] });
          return true;
        }),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(10);
      expect((await store.spendRead(['ailink:spend:token:cs']))[0]).toEqual({
        loaded: true,
        spentMicros: 10_500,
        reservedMicros: 0,
        requests: 10,
      });
    });
  });
}
