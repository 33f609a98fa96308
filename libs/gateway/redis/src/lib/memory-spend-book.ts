import {
  SPEND_GUARD_TTL_SECS,
  SPEND_RESERVATION_GRACE_MS,
  assertMicros,
  reservationMember,
  type SpendCounterState,
  type SpendFlushEntry,
  type SpendLoadEntry,
  type SpendReserveRequest,
  type SpendReserveResult,
  type SpendSettleRequest,
  type SpendSettleResult,
} from './spend-counters';

interface Counter {
  spent: number;
  reserved: number;
  unflushed: number;
  requests: number;
  unflushedRequests: number;
  loaded: boolean;
  expiresAt: number | null;
}

interface Reservations {
  /** member → expiry (ms). */
  members: Map<string, number>;
  expiresAt: number | null;
}

/**
 * The embedded-mode equivalent of the spend Lua scripts (`spend-scripts.ts`): the same results for
 * the same calls. Every method runs synchronously to its end, which is what makes it atomic in one
 * process. Spend keys live in their own namespace of the memory store (they are not strings, logs or
 * lists), so the generic key operations (`get`, `del`, `pttl`) do not see them.
 */
export class MemorySpendBook {
  private readonly counters = new Map<string, Counter>();
  private readonly reservations = new Map<string, Reservations>();
  private readonly dirty = new Map<string, Set<string>>();
  /** Settle-once guards: key → expiry (ms). */
  private readonly guards = new Map<string, number>();

  constructor(private readonly clock: () => number) {}

  reserve(request: SpendReserveRequest): SpendReserveResult {
    assertMicros(request.amountMicros, 'amountMicros');
    const now = request.nowMs ?? this.clock();
    const missing = request.caps.map((cap, i) => (this.counter(cap.key)?.loaded ? -1 : i)).filter((i) => i >= 0);
    if (missing.length > 0) return { status: 'need_load', indexes: missing };
    const member = reservationMember(request.owner, request.amountMicros);
    const counters: Counter[] = [];
    const already: boolean[] = [];
    for (let i = 0; i < request.caps.length; i++) {
      const cap = request.caps[i];
      const counter = this.counter(cap.key) as Counter;
      const set = this.reservationSet(cap.reservationKey);
      if (set) {
        for (const [m, expiry] of set.members) {
          if (expiry > now) continue;
          set.members.delete(m);
          counter.reserved = Math.max(0, counter.reserved - amountOf(m));
        }
      }
      counters.push(counter);
      already.push(set?.members.has(member) ?? false);
      const add = already[i] ? 0 : request.amountMicros;
      if (counter.spent + counter.reserved + add > cap.limitMicros) {
        return { status: 'rejected', index: i, spentMicros: counter.spent, reservedMicros: counter.reserved };
      }
    }
    const remainingMicros = request.caps.map((cap, i) => {
      const counter = counters[i];
      let set = this.reservationSet(cap.reservationKey);
      if (!set) {
        set = { members: new Map(), expiresAt: null };
        this.reservations.set(cap.reservationKey, set);
      }
      set.members.set(member, now + request.ttlMs);
      set.expiresAt = this.clock() + request.ttlMs + SPEND_RESERVATION_GRACE_MS;
      if (!already[i]) counter.reserved += request.amountMicros;
      return cap.limitMicros - counter.spent - counter.reserved;
    });
    return { status: 'reserved', remainingMicros };
  }

  settle(request: SpendSettleRequest): SpendSettleResult {
    for (const delta of request.deltas) {
      assertMicros(delta.costMicros, 'costMicros');
      assertMicros(delta.requests, 'requests');
    }
    const missing = request.deltas.map((d, i) => (this.counter(d.key)?.loaded ? -1 : i)).filter((i) => i >= 0);
    if (missing.length > 0) return { status: 'need_load', indexes: missing };
    if (request.guardKey !== undefined) {
      const expiry = this.guards.get(request.guardKey);
      if (expiry !== undefined && expiry > this.clock()) return { status: 'duplicate' };
      this.guards.set(request.guardKey, this.clock() + (request.guardTtlSecs ?? SPEND_GUARD_TTL_SECS) * 1000);
    }
    const member = request.owner === undefined ? undefined : reservationMember(request.owner, request.reservedMicros ?? 0);
    const spentMicros: number[] = [];
    for (const delta of request.deltas) {
      const counter = this.counter(delta.key) as Counter;
      if (member !== undefined && this.reservationSet(delta.reservationKey)?.members.delete(member)) {
        counter.reserved = Math.max(0, counter.reserved - (request.reservedMicros ?? 0));
      }
      counter.spent += delta.costMicros;
      counter.unflushed += delta.costMicros;
      counter.requests += delta.requests;
      counter.unflushedRequests += delta.requests;
      if (delta.costMicros !== 0 || delta.requests !== 0) {
        let set = this.dirty.get(delta.dirtyKey);
        if (!set) {
          set = new Set();
          this.dirty.set(delta.dirtyKey, set);
        }
        set.add(delta.key);
      }
      if (delta.expireAtSecs !== null) counter.expiresAt = delta.expireAtSecs * 1000;
      spentMicros.push(counter.spent);
    }
    return { status: 'settled', spentMicros };
  }

  load(entries: readonly SpendLoadEntry[]): void {
    for (const entry of entries) {
      assertMicros(entry.spentMicros, 'spentMicros');
      assertMicros(entry.requests, 'requests');
      let counter = this.counter(entry.key);
      if (counter?.loaded) continue;
      if (!counter) {
        counter = { spent: 0, reserved: 0, unflushed: 0, requests: 0, unflushedRequests: 0, loaded: false, expiresAt: null };
        this.counters.set(entry.key, counter);
      }
      counter.spent += entry.spentMicros;
      counter.requests += entry.requests;
      counter.loaded = true;
      if (entry.expireAtSecs !== null) counter.expiresAt = entry.expireAtSecs * 1000;
    }
  }

  read(keys: readonly string[]): SpendCounterState[] {
    return keys.map((key) => {
      const counter = this.counter(key);
      return {
        loaded: counter?.loaded ?? false,
        spentMicros: counter?.spent ?? 0,
        reservedMicros: counter?.reserved ?? 0,
        requests: counter?.requests ?? 0,
      };
    });
  }

  takeUnflushed(dirtyKey: string, count: number): SpendFlushEntry[] {
    const set = this.dirty.get(dirtyKey);
    if (!set) return [];
    const out: SpendFlushEntry[] = [];
    for (const name of Array.from(set).slice(0, count)) {
      set.delete(name);
      const counter = this.counter(name);
      if (!counter?.loaded || (counter.unflushed === 0 && counter.unflushedRequests === 0)) continue;
      out.push({ key: name, spentMicros: counter.unflushed, requests: counter.unflushedRequests });
      counter.unflushed = 0;
      counter.unflushedRequests = 0;
    }
    if (set.size === 0) this.dirty.delete(dirtyKey);
    return out;
  }

  returnUnflushed(dirtyKey: string, entries: readonly SpendFlushEntry[]): void {
    for (const entry of entries) {
      let counter = this.counter(entry.key);
      if (!counter) {
        counter = { spent: 0, reserved: 0, unflushed: 0, requests: 0, unflushedRequests: 0, loaded: false, expiresAt: null };
        this.counters.set(entry.key, counter);
      }
      counter.unflushed += entry.spentMicros;
      counter.unflushedRequests += entry.requests;
      let set = this.dirty.get(dirtyKey);
      if (!set) {
        set = new Set();
        this.dirty.set(dirtyKey, set);
      }
      set.add(entry.key);
    }
  }

  refresh(reservationKeys: readonly string[], member: string, ttlMs: number): number {
    const now = this.clock();
    let held = 0;
    for (const key of reservationKeys) {
      const set = this.reservationSet(key);
      if (!set?.members.has(member)) continue;
      set.members.set(member, now + ttlMs);
      set.expiresAt = now + ttlMs + SPEND_RESERVATION_GRACE_MS;
      held += 1;
    }
    return held;
  }

  /** Drops expired counters, reservation sets and guards. */
  sweep(): void {
    const now = this.clock();
    for (const [key, counter] of this.counters) if (counter.expiresAt !== null && counter.expiresAt <= now) this.counters.delete(key);
    for (const [key, set] of this.reservations) if (set.expiresAt !== null && set.expiresAt <= now) this.reservations.delete(key);
    for (const [key, expiry] of this.guards) if (expiry <= now) this.guards.delete(key);
  }

  private counter(key: string): Counter | undefined {
    const counter = this.counters.get(key);
    if (counter && counter.expiresAt !== null && counter.expiresAt <= this.clock()) {
      this.counters.delete(key);
      return undefined;
    }
    return counter;
  }

  private reservationSet(key: string): Reservations | undefined {
    const set = this.reservations.get(key);
    if (set && set.expiresAt !== null && set.expiresAt <= this.clock()) {
      this.reservations.delete(key);
      return undefined;
    }
    return set;
  }
}

function amountOf(member: string): number {
  const match = /:(\d+)$/.exec(member);
  return match ? Number(match[1]) : 0;
}
