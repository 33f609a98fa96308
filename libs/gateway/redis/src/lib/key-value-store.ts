import type { BreakerClaimResult, BreakerRecordRequest, BreakerRecordResult, SharedBreakerStatus } from './breaker-state';
import type {
  SpendCounterState,
  SpendFlushEntry,
  SpendLoadEntry,
  SpendReserveRequest,
  SpendReserveResult,
  SpendSettleRequest,
  SpendSettleResult,
} from './spend-counters';

/** Which backend a {@link KeyValueStore} runs on: real Redis, or the in-process embedded store. */
export type KeyValueStoreMode = 'redis' | 'memory';

/** Receives one pub/sub message (already stripped of any key prefix). */
export type MessageHandler = (message: string, channel: string) => void;

/** Removes a subscription or listener. Idempotent. */
export type Unsubscribe = () => Promise<void>;

/** One limit checked by {@link KeyValueStore.slidingWindowAll}. */
export interface SlidingWindowLimit {
  /** Sorted-set key holding the log of admitted requests (e.g. `ailink:rl:default:tok:{token}`). */
  key: string;
  /** Requests admitted per window. A limit of 0 (or less) admits nothing. */
  limit: number;
  /** Window length in milliseconds (≥ 1). */
  windowMs: number;
  /**
   * A shadow (what-if) limit: checked and reported like the others, but it never refuses the request
   * and never changes whether the others log it. Its own log records the request only when it alone
   * admits it — simulating the limit as if enforced, on a log no enforced limit uses.
   */
  shadow?: boolean;
}

/** A counter incremented in the same atomic step as a sliding-window check (e.g. usage counters). */
export interface CounterIncrement {
  key: string;
  /** Integer added (default 1). */
  by?: number;
  /** TTL set when the counter has none after the increment (it is new). */
  ttlSecs: number;
}

/** Extras of {@link KeyValueStore.slidingWindowAll}. */
export interface SlidingWindowOptions {
  /**
   * Identifies the request in the log entries (`{now_ms}-{member}-{random}`), e.g. the request id; a
   * random part is always added so two requests never share an entry.
   */
  member?: string;
  /** Counters incremented in the same atomic step whatever the outcome; their new values come back in `counters`. */
  increments?: readonly CounterIncrement[];
}

/** Outcome of one sliding-window limit. */
export interface SlidingWindowResult {
  /** True when this limit admits the request (for `slidingWindowAll`: when this limit alone would). */
  allowed: boolean;
  /** Requests counted in the window, including this one when it was admitted. */
  count: number;
  /** `max(0, limit - count)`. */
  remaining: number;
  /** 0 when allowed; otherwise ms until enough counted requests leave the window to admit one (≥ 1). */
  retryAfterMs: number;
  /** ms until the oldest counted request leaves the window (0 when nothing is counted). */
  resetMs: number;
}

/** Outcome of an all-or-nothing check of several limits. */
export interface SlidingWindowAllResult {
  /** True only if every limit admitted the request; then (and only then) each log got one entry. */
  allowed: boolean;
  /** One result per limit, in the order given. */
  results: SlidingWindowResult[];
  /** New value of each counter of `options.increments`, in the order given. */
  counters: number[];
  /** The backend's clock (ms) the check used: Redis `TIME`, the store's clock, or `nowMs`. */
  nowMs: number;
  /** The entry this check added to the logs it admitted into (for {@link KeyValueStore.slidingWindowForget}). */
  member: string;
}

/**
 * The key/value, counter and pub/sub operations the gateway needs from Redis. Used as the DI token.
 *
 * Two implementations behave the same way: {@link RedisKeyValueStore} (external mode, shared by every
 * gateway instance) and {@link MemoryKeyValueStore} (embedded mode, one process). Keys are given
 * without the deployment key prefix; the Redis backend applies it to keys and pub/sub channels alike.
 *
 * Every method except {@link ping} rejects when the backend cannot answer (Redis down); callers apply
 * the fail mode documented for their feature.
 */
export abstract class KeyValueStore {
  abstract readonly mode: KeyValueStoreMode;

  /** True when the backend answers within `timeoutMs`. Never throws, never waits much longer. */
  abstract ping(timeoutMs: number): Promise<boolean>;

  abstract get(key: string): Promise<string | null>;

  /** Values of several keys in one round trip (null for missing keys). */
  abstract mget(keys: readonly string[]): Promise<(string | null)[]>;

  /** Sets a string value; with `ttlSecs` it expires, without it any previous TTL is removed. */
  abstract set(key: string, value: string, ttlSecs?: number): Promise<void>;

  /** Sets the value only if the key does not exist (locks, dedupe flags). True when it was set. */
  abstract setIfAbsent(key: string, value: string, ttlSecs: number): Promise<boolean>;

  /** Deletes keys; resolves to how many existed. */
  abstract del(...keys: string[]): Promise<number>;

  /**
   * Atomically adds `by` (an integer) to the counter at `key` and returns the new value. When the key
   * has no TTL after the increment (it is new) and `ttlSecs` is given, the TTL is set in the same step.
   */
  abstract incr(key: string, by?: number, ttlSecs?: number): Promise<number>;

  /** Sets a TTL on an existing key. False when the key does not exist. */
  abstract expire(key: string, ttlSecs: number): Promise<boolean>;

  /** Remaining TTL in ms; -1 when the key has no TTL, -2 when it does not exist. */
  abstract pttl(key: string): Promise<number>;

  /** Publishes a message to every subscriber of `channel` on every instance; resolves to how many received it. */
  abstract publish(channel: string, message: string): Promise<number>;

  /** Subscribes `handler` to `channel`; resolves once the subscription is active. */
  abstract subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  /**
   * Registers `handler` to run after the subscriber connection came back from a loss (messages may
   * have been missed meanwhile). Never called by the memory backend, which cannot lose messages.
   */
  abstract onReconnect(handler: () => void): () => void;

  /**
   * Sliding-window rate limit in one atomic step. Drops entries older than the window; if fewer than
   * `limit` remain, the request is admitted and one unique entry added (the key then expires after
   * the window); a refused request adds nothing. Without `nowMs` the backend's clock is used (Redis
   * `TIME`, so that all instances agree).
   */
  abstract slidingWindow(key: string, limit: number, windowMs: number, nowMs?: number): Promise<SlidingWindowResult>;

  /**
   * Several sliding-window limits checked in one atomic step, all or nothing: the request is admitted
   * (and logged in every window) only if every non-shadow limit admits it. Shadow limits are checked
   * and logged independently (see {@link SlidingWindowLimit.shadow}). `options.increments` are
   * applied in the same step, admitted or not.
   */
  /**
   * Takes the entry `member` (a {@link SlidingWindowAllResult.member}) back out of these logs, so an
   * admitted request that turned out not to count frees its slots. Resolves to the entries removed.
   */
  abstract slidingWindowForget(keys: readonly string[], member: string): Promise<number>;

  abstract slidingWindowAll(
    limits: readonly SlidingWindowLimit[],
    nowMs?: number,
    options?: SlidingWindowOptions,
  ): Promise<SlidingWindowAllResult>;

  /** Current value of a version counter, or null when it does not exist. */
  abstract getVersion(versionKey: string): Promise<string | null>;

  /** Increments a version counter, (re)sets its TTL and returns the new value. */
  abstract bumpVersion(versionKey: string, ttlSecs: number): Promise<string>;

  /**
   * Writes `key = value` with `ttlSecs` only if the counter at `versionKey` still equals
   * `expectedVersion` (null: still does not exist), atomically. True when written.
   */
  abstract setIfVersion(key: string, value: string, ttlSecs: number, versionKey: string, expectedVersion: string | null): Promise<boolean>;

  /**
   * Appends `values`, in order, to the list at `key` (a FIFO queue: {@link popList} returns the
   * oldest first). With `maxLength`, only as many values as still fit under it are added, atomically;
   * resolves to how many were added (the first ones of `values`).
   */
  abstract pushList(key: string, values: readonly string[], maxLength?: number): Promise<number>;

  /** Removes and returns up to `count` (≥ 1) of the oldest values of the list at `key`, oldest first. */
  abstract popList(key: string, count: number): Promise<string[]>;

  /** Number of values in the list at `key` (0 when it does not exist). */
  abstract listLength(key: string): Promise<number>;

  /**
   * Spend reservation (vault-and-spend.md §6, §8): in one atomic step, drops expired reservations of
   * every cap, checks `spent + reserved + amount ≤ limit` on each, and only if all pass records the
   * reservation on all of them. Counters without a PostgreSQL base answer `need_load` (nothing changed).
   */
  abstract spendReserve(request: SpendReserveRequest): Promise<SpendReserveResult>;

  /**
   * Spend settlement in one atomic step: (with a guard) only the first call for a guard key applies;
   * releases the owner's reservation and adds cost and request counts to every counter, marking them
   * dirty for the flush. Counters without a base answer `need_load` (nothing changed).
   */
  abstract spendSettle(request: SpendSettleRequest): Promise<SpendSettleResult>;

  /** Loads PostgreSQL bases into counters that have none yet (idempotent per counter). */
  abstract spendLoad(entries: readonly SpendLoadEntry[]): Promise<void>;

  /** Reads counters (missing ones read as not loaded, zero). */
  abstract spendRead(keys: readonly string[]): Promise<SpendCounterState[]>;

  /** Extends a live reservation member's expiry on each set; resolves to how many still held it. */
  abstract spendRefresh(reservationKeys: readonly string[], member: string, ttlMs: number): Promise<number>;

  /** Atomically takes (and zeroes) the unflushed amounts of up to `count` counters of a dirty set. */
  abstract spendTakeUnflushed(dirtyKey: string, count: number): Promise<SpendFlushEntry[]>;

  /** Gives amounts taken by {@link spendTakeUnflushed} back (the flush failed). */
  abstract spendReturnUnflushed(dirtyKey: string, entries: readonly SpendFlushEntry[]): Promise<void>;

  /**
   * Shared circuit breaker (proxy.md §13 "Sharing"; see `breaker-state.ts`): applies attempt
   * outcomes in order, in one atomic step, and answers the caller's view of the new state, with
   * `opened` true when this call opened the breaker. No outcomes: a plain read.
   */
  abstract breakerRecord(request: BreakerRecordRequest): Promise<BreakerRecordResult>;

  /** The caller's view of several shared breakers in one round trip (missing ones read as closed). */
  abstract breakerRead(keys: readonly string[], holder: string): Promise<SharedBreakerStatus[]>;

  /**
   * Claims the probe lease of a half-open breaker (open for at least `cooldownMs`) for `leaseMs`,
   * unless another holder's lease is live; a holder may renew its own. Atomic.
   */
  abstract breakerClaimProbe(key: string, holder: string, cooldownMs: number, leaseMs: number): Promise<BreakerClaimResult>;

  /** Gives the probe lease back if `holder` holds it. */
  abstract breakerReleaseProbe(key: string, holder: string): Promise<SharedBreakerStatus>;

  /** Releases connections and subscriptions. Idempotent. */
  abstract close(): Promise<void>;
}
