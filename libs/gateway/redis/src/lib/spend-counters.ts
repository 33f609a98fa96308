/**
 * Spend counters (vault-and-spend.md §6, §8): the types of the atomic reserve / settle operations of
 * {@link KeyValueStore}. Amounts are integer micro-USD.
 *
 * Layout (data-model.md, Redis keyspace):
 * - counter hash `ailink:spend:{scope}:{id}:{period_key}`: `spent`, `reserved`, `unflushed`,
 *   `requests`, `unflushed_requests`, `loaded`;
 * - reservation sorted set `ailink:spendres:{scope}:{id}:{period_key}`: member `{owner}:{amount}`,
 *   score = expiry in ms;
 * - dirty set (e.g. `ailink:spend:dirty:{org_id}`): names of counters with unflushed amounts;
 * - settle-once guard `ailink:spendsettled:{request_id}:{iteration}`.
 *
 * A counter without `loaded` has not received its PostgreSQL base yet: reserve and settle answer
 * `need_load` for it and change nothing; the caller loads the base ({@link SpendLoadEntry}) and retries.
 */

/** One cap a reservation is checked against. */
export interface SpendCapCheck {
  /** Counter hash. */
  key: string;
  /** Reservation sorted set of the same counter. */
  reservationKey: string;
  /** Cap in micro-USD (integer ≥ 0; 0 admits only free requests). */
  limitMicros: number;
}

export interface SpendReserveRequest {
  caps: readonly SpendCapCheck[];
  /** Unique per request and iteration (e.g. `req_…:0`); the stored member is `{owner}:{amountMicros}`. */
  owner: string;
  /** The estimate to reserve (integer ≥ 0). */
  amountMicros: number;
  /** Reservation lifetime unless refreshed ({@link KeyValueStore.spendRefresh}). */
  ttlMs: number;
  /** Clock override for tests; default the backend's clock (Redis `TIME`). */
  nowMs?: number;
}

export type SpendReserveResult =
  /** Reserved on every cap; `remainingMicros[i]` = limit − spent − reserved after this reservation. */
  | { status: 'reserved'; remainingMicros: number[] }
  /** Cap `index` (the first failing one) cannot take the amount; nothing was reserved. */
  | { status: 'rejected'; index: number; spentMicros: number; reservedMicros: number }
  /** These counters (indexes into `caps`) have no PostgreSQL base yet; nothing was changed. */
  | { status: 'need_load'; indexes: number[] };

/** What one settled request (or one batch of uncapped requests) adds to one counter. */
export interface SpendCounterDelta {
  /** Counter hash. */
  key: string;
  /** Reservation set whose member `{owner}:{reservedMicros}` is released (when `owner` is given). */
  reservationKey: string;
  /** The set the counter's name joins for the flush to PostgreSQL. */
  dirtyKey: string;
  /** Integer micro-USD (≥ 0). */
  costMicros: number;
  /** Requests to count (≥ 0). */
  requests: number;
  /** Unix seconds at which the counter expires (`EXPIREAT`), or null for none (lifetime counters). */
  expireAtSecs: number | null;
}

export interface SpendSettleRequest {
  /** Settle-once guard; without it the deltas are applied unconditionally (batched uncapped spend). */
  guardKey?: string;
  /** Guard lifetime (default 86400 s). */
  guardTtlSecs?: number;
  /** Owner of the reservation to release, with the amount it reserved. */
  owner?: string;
  reservedMicros?: number;
  deltas: readonly SpendCounterDelta[];
}

export type SpendSettleResult =
  /** Applied; `spentMicros[i]` is counter i's spent after it (for budget warnings). */
  | { status: 'settled'; spentMicros: number[] }
  /** The guard was already set: this request was settled before; nothing changed. */
  | { status: 'duplicate' }
  /** These counters (indexes into `deltas`) have no PostgreSQL base yet; nothing was changed. */
  | { status: 'need_load'; indexes: number[] };

/** The PostgreSQL base of a counter (set only if the counter is not loaded yet). */
export interface SpendLoadEntry {
  key: string;
  spentMicros: number;
  requests: number;
  expireAtSecs: number | null;
}

/** A counter as read ({@link KeyValueStore.spendRead}). */
export interface SpendCounterState {
  loaded: boolean;
  spentMicros: number;
  /** Sum of live reservations (expired ones are dropped lazily, by the next reservation). */
  reservedMicros: number;
  requests: number;
}

/** Amounts taken from a counter for the flush to PostgreSQL. */
export interface SpendFlushEntry {
  /** Counter name as it was added to the dirty set (without any deployment key prefix). */
  key: string;
  spentMicros: number;
  requests: number;
}

/** Settle-once guards live a day (vault-and-spend.md §8.4). */
export const SPEND_GUARD_TTL_SECS = 86_400;
/** Reservation sets outlive their last reservation by a minute (data-model.md). */
export const SPEND_RESERVATION_GRACE_MS = 60_000;

/** `{owner}:{amount}`: the reservation member; the amount is recovered from it when the member expires. */
export function reservationMember(owner: string, amountMicros: number): string {
  return `${owner}:${amountMicros}`;
}

export function assertMicros(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
}
