import type { KeyValueStore } from '../key-value-store';
import { waitFor } from './redis-test-support';

export interface KeyValueStoreFixture {
  /** A fresh store whose data no other test sees. */
  create(): Promise<KeyValueStore>;
  /**
   * Another handle on the same data as `store`, as a second gateway instance would have (its own
   * connections). For an in-process backend this is the same object.
   */
  peer(store: KeyValueStore): Promise<KeyValueStore>;
}

/**
 * The behaviour every {@link KeyValueStore} must have. Run against the memory backend (unit tier)
 * and against real Redis (integration tier), so that embedded mode cannot drift from external mode.
 */
export function describeKeyValueStoreContract(name: string, fixture: KeyValueStoreFixture): void {
  describe(`KeyValueStore contract: ${name}`, () => {
    const open: KeyValueStore[] = [];
    let store: KeyValueStore;

    async function track(s: Promise<KeyValueStore>): Promise<KeyValueStore> {
      const created = await s;
      open.push(created);
      return created;
    }

    beforeEach(async () => {
      store = await track(fixture.create());
    });

    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    describe('strings', () => {
      it('gets what was set, null for missing keys, and deletes', async () => {
        expect(await store.get('a')).toBeNull();
        await store.set('a', 'one');
        await store.set('b', 'two');
        expect(await store.get('a')).toBe('one');
        expect(await store.mget(['a', 'missing', 'b'])).toEqual(['one', null, 'two']);
        expect(await store.mget([])).toEqual([]);
        expect(await store.del('a', 'b', 'missing')).toBe(2);
        expect(await store.del()).toBe(0);
        expect(await store.get('a')).toBeNull();
      });

      it('keeps a TTL when given one and drops it on a plain set', async () => {
        await store.set('k', 'v', 100);
        const ttl = await store.pttl('k');
        expect(ttl).toBeGreaterThan(98_000);
        expect(ttl).toBeLessThanOrEqual(100_000);
        await store.set('k', 'w');
        expect(await store.pttl('k')).toBe(-1);
        expect(await store.pttl('missing')).toBe(-2);
      });

      it('expires keys after their TTL', async () => {
        await store.set('short', 'v', 1);
        expect(await store.get('short')).toBe('v');
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect(await store.get('short')).toBeNull();
        expect(await store.pttl('short')).toBe(-2);
      });

      it('expire sets a TTL on existing keys only', async () => {
        expect(await store.expire('missing', 10)).toBe(false);
        await store.set('k', 'v');
        expect(await store.expire('k', 10)).toBe(true);
        const ttl = await store.pttl('k');
        expect(ttl).toBeGreaterThan(9_000);
        expect(ttl).toBeLessThanOrEqual(10_000);
      });

      it('setIfAbsent sets once, with a TTL', async () => {
        expect(await store.setIfAbsent('lock', 'a', 30)).toBe(true);
        expect(await store.setIfAbsent('lock', 'b', 30)).toBe(false);
        expect(await store.get('lock')).toBe('a');
        expect(await store.pttl('lock')).toBeGreaterThan(29_000);
      });

      it('rejects non-positive or fractional TTLs', async () => {
        await expect(store.set('k', 'v', 0)).rejects.toThrow(RangeError);
        await expect(store.set('k', 'v', 1.5)).rejects.toThrow(RangeError);
        await expect(store.incr('k', 1, -1)).rejects.toThrow(RangeError);
        expect(await store.get('k')).toBeNull();
      });
    });

    describe('counters', () => {
      it('increments by 1 or by a given amount', async () => {
        expect(await store.incr('c')).toBe(1);
        expect(await store.incr('c', 5)).toBe(6);
        expect(await store.incr('c', -2)).toBe(4);
        expect(await store.get('c')).toBe('4');
        expect(await store.pttl('c')).toBe(-1);
      });

      it('sets the TTL when the key is new and leaves an existing TTL alone', async () => {
        expect(await store.incr('c', 1, 100)).toBe(1);
        expect(await store.pttl('c')).toBeGreaterThan(98_000);
        expect(await store.incr('c', 1, 5)).toBe(2);
        expect(await store.pttl('c')).toBeGreaterThan(98_000);
      });

      it('is atomic under concurrency', async () => {
        const results = await Promise.all(Array.from({ length: 100 }, () => store.incr('burst', 1, 60)));
        expect(new Set(results).size).toBe(100);
        expect(Math.max(...results)).toBe(100);
        expect(await store.get('burst')).toBe('100');
      });

      it('refuses to increment a non-integer value', async () => {
        await store.set('text', 'abc');
        await expect(store.incr('text')).rejects.toThrow(/not an integer/);
        expect(await store.get('text')).toBe('abc');
      });
    });

    describe('versions and guarded writes', () => {
      it('bumps a version counter with a TTL', async () => {
        expect(await store.getVersion('ver')).toBeNull();
        expect(await store.bumpVersion('ver', 360)).toBe('1');
        expect(await store.bumpVersion('ver', 360)).toBe('2');
        expect(await store.getVersion('ver')).toBe('2');
        const ttl = await store.pttl('ver');
        expect(ttl).toBeGreaterThan(358_000);
        expect(ttl).toBeLessThanOrEqual(360_000);
      });

      it('writes only while the version is the expected one', async () => {
        expect(await store.setIfVersion('entry', 'v0', 300, 'ver', null)).toBe(true);
        expect(await store.get('entry')).toBe('v0');
        expect(await store.pttl('entry')).toBeGreaterThan(298_000);

        await store.bumpVersion('ver', 360);
        expect(await store.setIfVersion('entry', 'stale', 300, 'ver', null)).toBe(false);
        expect(await store.setIfVersion('entry', 'stale', 300, 'ver', '0')).toBe(false);
        expect(await store.get('entry')).toBe('v0');

        expect(await store.setIfVersion('entry', 'v1', 300, 'ver', '1')).toBe(true);
        expect(await store.get('entry')).toBe('v1');
      });
    });

    describe('sliding window', () => {
      it('admits up to the limit and refuses the rest without counting them', async () => {
        const t0 = 1_000_000;
        const first = await store.slidingWindow('rl', 3, 1000, t0);
        expect(first).toEqual({
          allowed: true,
          count: 1,
          remaining: 2,
          retryAfterMs: 0,
          resetMs: 1000,
        });
        expect((await store.slidingWindow('rl', 3, 1000, t0 + 100)).remaining).toBe(1);
        expect((await store.slidingWindow('rl', 3, 1000, t0 + 200)).remaining).toBe(0);

        const refused = await store.slidingWindow('rl', 3, 1000, t0 + 300);
        expect(refused).toEqual({
          allowed: false,
          count: 3,
          remaining: 0,
          retryAfterMs: 700,
          resetMs: 700,
        });
        // Refusals add nothing: the first entry leaving the window frees exactly one slot.
        expect((await store.slidingWindow('rl', 3, 1000, t0 + 999)).allowed).toBe(false);
        const later = await store.slidingWindow('rl', 3, 1000, t0 + 1000);
        expect(later).toMatchObject({
          allowed: true,
          count: 3,
          remaining: 0,
          resetMs: 100,
        });
        const again = await store.slidingWindow('rl', 3, 1000, t0 + 1000);
        expect(again).toMatchObject({
          allowed: false,
          count: 3,
          retryAfterMs: 100,
        });
      });

      it('reports when a lowered limit admits again', async () => {
        const t0 = 5_000_000;
        for (let i = 0; i < 4; i += 1) {
          expect((await store.slidingWindow('rl', 10, 1000, t0 + i * 100)).allowed).toBe(true);
        }
        const refused = await store.slidingWindow('rl', 2, 1000, t0 + 500);
        // Entries at 0, 100, 200, 300: three must leave; the third leaves at 1200 → 700 ms.
        expect(refused).toEqual({
          allowed: false,
          count: 4,
          remaining: 0,
          retryAfterMs: 700,
          resetMs: 500,
        });
      });

      it('admits nothing with a limit of 0', async () => {
        const result = await store.slidingWindow('rl', 0, 2000, 10_000);
        expect(result).toEqual({
          allowed: false,
          count: 0,
          remaining: 0,
          retryAfterMs: 2000,
          resetMs: 0,
        });
      });

      it('uses the backend clock and expires the log after the window', async () => {
        const before = Date.now();
        const result = await store.slidingWindow('rl-clock', 2, 60_000);
        expect(result).toMatchObject({ allowed: true, count: 1, remaining: 1 });
        expect(result.resetMs).toBeGreaterThan(59_000);
        expect(result.resetMs).toBeLessThanOrEqual(60_000);
        const ttl = await store.pttl('rl-clock');
        expect(ttl).toBeGreaterThan(59_000);
        expect(ttl).toBeLessThanOrEqual(60_000);
        expect(Date.now() - before).toBeLessThan(1000);
      });

      it('admits exactly the limit out of concurrent calls', async () => {
        const results = await Promise.all(Array.from({ length: 50 }, () => store.slidingWindow('rl-burst', 7, 60_000)));
        expect(results.filter((r) => r.allowed)).toHaveLength(7);
        expect(results.filter((r) => !r.allowed).every((r) => r.retryAfterMs > 0)).toBe(true);
        const after = await store.slidingWindow('rl-burst', 1000, 60_000);
        expect(after.count).toBe(8);
      });

      it('checks several limits all or nothing', async () => {
        const t0 = 9_000_000;
        expect((await store.slidingWindow('tight', 1, 1000, t0)).allowed).toBe(true);
        const both = await store.slidingWindowAll(
          [
            { key: 'loose', limit: 5, windowMs: 1000 },
            { key: 'tight', limit: 1, windowMs: 1000 },
          ],
          t0 + 10,
        );
        expect(both.allowed).toBe(false);
        expect(both.results[0]).toMatchObject({
          allowed: true,
          count: 0,
          remaining: 5,
        });
        expect(both.results[1]).toMatchObject({
          allowed: false,
          count: 1,
          retryAfterMs: 990,
        });
        // Nothing was added to the loose log.
        expect((await store.slidingWindow('loose', 5, 1000, t0 + 20)).count).toBe(1);

        const admitted = await store.slidingWindowAll(
          [
            { key: 'loose', limit: 5, windowMs: 1000 },
            { key: 'tight', limit: 1, windowMs: 1000 },
          ],
          t0 + 1000,
        );
        expect(admitted.allowed).toBe(true);
        expect(admitted.results.map((r) => r.count)).toEqual([2, 1]);
      });

      it('rejects a non-positive window', async () => {
        await expect(store.slidingWindow('rl', 1, 0)).rejects.toThrow(RangeError);
      });

      it('refuses other operations on a window key', async () => {
        await store.slidingWindow('rl-typed', 1, 1000);
        await expect(store.get('rl-typed')).rejects.toThrow(/WRONGTYPE/);
      });

      it('checks shadow limits without letting them refuse, logging them only when they alone admit', async () => {
        const t0 = 20_000_000;
        const limits = [
          { key: 'enforced', limit: 3, windowMs: 1000 },
          { key: 'what-if', limit: 1, windowMs: 1000, shadow: true },
        ];
        const first = await store.slidingWindowAll(limits, t0);
        expect(first.allowed).toBe(true);
        expect(first.results.map((r) => [r.allowed, r.count])).toEqual([
          [true, 1],
          [true, 1],
        ]);
        const second = await store.slidingWindowAll(limits, t0 + 10);
        // The shadow limit would refuse, yet the request is admitted and the shadow log stays at 1.
        expect(second.allowed).toBe(true);
        expect(second.results[1]).toEqual({ allowed: false, count: 1, remaining: 0, retryAfterMs: 990, resetMs: 990 });
        expect(second.results[0]).toMatchObject({ allowed: true, count: 2 });

        // An enforced refusal does not stop a shadow limit that admits from logging.
        expect((await store.slidingWindow('full', 1, 1000, t0)).allowed).toBe(true);
        const refused = await store.slidingWindowAll(
          [
            { key: 'full', limit: 1, windowMs: 1000 },
            { key: 'what-if-2', limit: 5, windowMs: 1000, shadow: true },
            { key: 'enforced-2', limit: 5, windowMs: 1000 },
          ],
          t0 + 20,
        );
        expect(refused.allowed).toBe(false);
        expect(refused.results.map((r) => r.count)).toEqual([1, 1, 0]);
        expect(await store.pttl('enforced-2')).toBe(-2);
      });

      it('is decided by shadow-only checks never refusing', async () => {
        const result = await store.slidingWindowAll([{ key: 'only-shadow', limit: 0, windowMs: 1000, shadow: true }], 30_000_000);
        expect(result.allowed).toBe(true);
        expect(result.results[0]).toMatchObject({ allowed: false, count: 0 });
      });

      it('increments counters in the same step, admitted or not, and reports the clock it used', async () => {
        const t0 = 40_000_000;
        const options = {
          member: 'req_0123456789abcdef0123456789abcdef',
          increments: [
            { key: 'usage-day', ttlSecs: 90_000 },
            { key: 'usage-hour', by: 2, ttlSecs: 7200 },
          ],
        };
        const first = await store.slidingWindowAll([{ key: 'rl-usage', limit: 1, windowMs: 1000 }], t0, options);
        expect(first).toMatchObject({ allowed: true, counters: [1, 2], nowMs: t0 });
        const refused = await store.slidingWindowAll([{ key: 'rl-usage', limit: 1, windowMs: 1000 }], t0 + 1, options);
        expect(refused).toMatchObject({ allowed: false, counters: [2, 4] });
        expect(await store.get('usage-day')).toBe('2');
        const ttl = await store.pttl('usage-hour');
        expect(ttl).toBeGreaterThan(7_000_000);
        expect(ttl).toBeLessThanOrEqual(7_200_000);
        // Counters alone (no limit) work too.
        expect((await store.slidingWindowAll([], undefined, { increments: [{ key: 'usage-day', ttlSecs: 10 }] })).counters).toEqual([3]);
      });

      it('never merges two requests with the same member label in the same millisecond', async () => {
        const options = { member: 'req_same' };
        await store.slidingWindowAll([{ key: 'rl-member', limit: 10, windowMs: 1000 }], 50_000_000, options);
        const second = await store.slidingWindowAll([{ key: 'rl-member', limit: 10, windowMs: 1000 }], 50_000_000, options);
        expect(second.results[0].count).toBe(2);
      });

      it('forgets one admitted entry from every log it went into, leaving the others', async () => {
        const limits = [
          { key: 'rl-forget-a', limit: 2, windowMs: 60_000 },
          { key: 'rl-forget-b', limit: 5, windowMs: 60_000 },
        ];
        const first = await store.slidingWindowAll(limits, undefined, { member: 'req_first' });
        const second = await store.slidingWindowAll(limits, undefined, { member: 'req_second' });
        expect(second.results.map((r) => r.count)).toEqual([2, 2]);
        expect((await store.slidingWindowAll(limits)).allowed).toBe(false);

        expect(await store.slidingWindowForget(['rl-forget-a', 'rl-forget-b'], second.member)).toBe(2);
        expect(await store.slidingWindowForget(['rl-forget-a', 'rl-forget-b'], second.member)).toBe(0);
        expect(await store.slidingWindowForget(['rl-forget-a', 'rl-forget-missing'], 'no-such-member')).toBe(0);
        expect(first.member).not.toBe(second.member);
        const third = await store.slidingWindowAll(limits);
        expect(third.allowed).toBe(true);
        expect(third.results.map((r) => r.count)).toEqual([2, 2]);
        expect(await store.slidingWindowForget([], third.member)).toBe(0);
      });

      it('rejects a bad increment before changing anything', async () => {
        await store.set('not-a-number', 'x');
        await expect(
          store.slidingWindowAll([{ key: 'rl-untouched', limit: 5, windowMs: 1000 }], 60_000_000, {
            increments: [{ key: 'usage-fine', ttlSecs: 10, by: 1.5 }],
          }),
        ).rejects.toThrow(RangeError);
        expect(await store.pttl('rl-untouched')).toBe(-2);
      });
    });

    describe('lists', () => {
      it('pops values oldest first, across pushes', async () => {
        expect(await store.pushList('q', ['a', 'b'])).toBe(2);
        expect(await store.pushList('q', ['c'])).toBe(1);
        expect(await store.pushList('q', [])).toBe(0);
        expect(await store.listLength('q')).toBe(3);
        expect(await store.popList('q', 2)).toEqual(['a', 'b']);
        expect(await store.popList('q', 10)).toEqual(['c']);
        expect(await store.popList('q', 10)).toEqual([]);
        expect(await store.listLength('q')).toBe(0);
        expect(await store.listLength('missing')).toBe(0);
      });

      it('adds only what fits under a maximum length', async () => {
        expect(await store.pushList('bounded', ['1', '2', '3'], 5)).toBe(3);
        expect(await store.pushList('bounded', ['4', '5', '6', '7'], 5)).toBe(2);
        expect(await store.pushList('bounded', ['8'], 5)).toBe(0);
        expect(await store.popList('bounded', 10)).toEqual(['1', '2', '3', '4', '5']);
        expect(await store.pushList('bounded', ['x'], 0)).toBe(0);
        expect(await store.listLength('bounded')).toBe(0);
      });

      it('keeps the maximum under concurrent pushes', async () => {
        const pushed = await Promise.all(Array.from({ length: 20 }, (_, i) => store.pushList('race', [`${i}a`, `${i}b`], 25)));
        expect(pushed.reduce((a, b) => a + b, 0)).toBe(25);
        expect(await store.listLength('race')).toBe(25);
      });

      it('pushes many values at once', async () => {
        const values = Array.from({ length: 2500 }, (_, i) => String(i));
        expect(await store.pushList('many', values, 10_000)).toBe(2500);
        const popped = await store.popList('many', 3000);
        expect(popped).toEqual(values);
      });

      it('is shared with another instance', async () => {
        const other = await track(fixture.peer(store));
        await store.pushList('shared-q', ['from-a']);
        expect(await other.popList('shared-q', 1)).toEqual(['from-a']);
      });

      it('rejects bad counts and refuses string operations on a list', async () => {
        await expect(store.popList('q', 0)).rejects.toThrow(RangeError);
        await expect(store.pushList('q', ['a'], -1)).rejects.toThrow(RangeError);
        await store.pushList('typed', ['a']);
        await expect(store.get('typed')).rejects.toThrow(/WRONGTYPE/);
        await store.set('text', 'v');
        await expect(store.pushList('text', ['a'])).rejects.toThrow(/WRONGTYPE/);
      });
    });

    describe('pub/sub', () => {
      it('delivers published messages with the unprefixed channel name', async () => {
        const received: [string, string][] = [];
        await store.subscribe('chan', (message, channel) => received.push([message, channel]));
        await store.publish('chan', 'hello');
        await store.publish('other', 'ignored');
        await waitFor(() => received.length === 1, 2000, 'message');
        expect(received).toEqual([['hello', 'chan']]);
      });

      it('stops delivering to an unsubscribed handler only', async () => {
        const gone: string[] = [];
        const kept: string[] = [];
        const unsubscribe = await store.subscribe('chan', (m) => gone.push(m));
        await store.subscribe('chan', (m) => kept.push(m));
        await store.publish('chan', 'one');
        await waitFor(() => gone.length === 1 && kept.length === 1, 2000, 'first message');

        await unsubscribe();
        await unsubscribe();
        await store.publish('chan', 'two');
        await waitFor(() => kept.length === 2, 2000, 'second message');
        expect(gone).toEqual(['one']);
        expect(kept).toEqual(['one', 'two']);
      });

      it('reaches subscribers of another instance', async () => {
        const other = await track(fixture.peer(store));
        const received: string[] = [];
        await other.subscribe('fanout', (m) => received.push(m));
        await store.publish('fanout', 'from-a');
        await waitFor(() => received.length === 1, 2000, 'cross-instance message');
        expect(received).toEqual(['from-a']);
        // ...and the other instance sees this instance's data.
        await store.set('shared', 'x');
        expect(await other.get('shared')).toBe('x');
      });

      it('keeps delivering when a handler throws', async () => {
        const received: string[] = [];
        await store.subscribe('chan', () => {
          throw new Error('boom');
        });
        await store.subscribe('chan', (m) => received.push(m));
        await store.publish('chan', 'm1');
        await store.publish('chan', 'm2');
        await waitFor(() => received.length === 2, 2000, 'messages');
        expect(received).toEqual(['m1', 'm2']);
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open and not after close', async () => {
        expect(await store.ping(1000)).toBe(true);
        await store.close();
        await store.close();
        expect(await store.ping(1000)).toBe(false);
      });
    });
  });
}
