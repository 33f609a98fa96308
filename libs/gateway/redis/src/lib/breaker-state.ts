/**
 * Shared circuit-breaker state (proxy.md §13 "Sharing", data-model.md `ailink:cb:{token}:{sha1(url)}`):
 * one hash per (token, upstream) holding the state every instance agrees on. Every change is one
 * atomic step (a Lua script on Redis, a synchronous update in the memory backend). Times are the
 * backend's clock; callers get durations (ms since the breaker opened, ms left on a lease), never
 * absolute times, so that instance clocks do not matter.
 *
 * States: `closed`, or `open` since `opened_at`; an open breaker whose cooldown has elapsed is
 * half-open. A half-open breaker admits probes only through a lease: one instance at a time holds
 * it (until it records the probe's outcome, releases it, or the lease expires), and that instance
 * admits at most `half_open_max_requests` concurrent probes.
 */

/** The token's breaker settings as the backend needs them. */
export interface BreakerSettings {
  /** Consecutive failures that open a closed breaker (≥ 1). */
  failureThreshold: number;
  /** Open → half-open after this long (≥ 1 ms). */
  cooldownMs: number;
  /** Optional: failure ratio over the last 60 s that opens it, in (0, 1]. */
  failureRateThreshold?: number;
  /** Attempts in the last 60 s needed before the ratio counts (≥ 1). */
  minSampleSize: number;
}

/** One attempt's outcome (neutral outcomes are not recorded). */
export interface BreakerOutcome {
  failed: boolean;
  /** A half-open probe sent under the caller's lease. */
  probe: boolean;
}

export interface BreakerRecordRequest {
  /** `ailink:cb:{token}:{sha1(url)}`. */
  key: string;
  /** Identifies the calling instance (lease holder). */
  holder: string;
  settings: BreakerSettings;
  /** Applied in order, in one atomic step. */
  outcomes: readonly BreakerOutcome[];
}

/** The shared state as one caller sees it. */
export interface SharedBreakerStatus {
  state: 'closed' | 'open';
  /** Consecutive failures. */
  failures: number;
  /** ms since the breaker opened; 0 when closed. */
  openForMs: number;
  /** ms left on the caller's probe lease; 0 when it holds none. */
  leaseMs: number;
  /** ms left on a probe lease another instance holds; 0 when none. */
  otherLeaseMs: number;
}

export interface BreakerRecordResult extends SharedBreakerStatus {
  /**
   * True when this call opened a closed breaker (the `circuit_opened` moment; exactly one caller sees
   * it). A failed probe reopens a half-open breaker without reporting it again.
   */
  opened: boolean;
  /** The consecutive failures when it (last) opened in this call. */
  openedFailures: number;
}

export interface BreakerClaimResult extends SharedBreakerStatus {
  /** True when the caller now holds the probe lease. */
  granted: boolean;
}

/** Breaker keys expire after a day without a write (data-model.md). */
export const BREAKER_IDLE_TTL_SECS = 86_400;
/** The failure-rate window. */
export const BREAKER_RATE_WINDOW_SECS = 60;

/** The hash as the memory backend keeps it (the Redis hash has the same fields). */
export interface BreakerHash {
  state: 'closed' | 'open';
  failures: number;
  openedAt: number;
  probeHolder: string;
  probeUntil: number;
  /** Per-second buckets of the failure-rate window: second → [attempts, failures]. */
  buckets: Map<number, [number, number]>;
}

export function newBreakerHash(): BreakerHash {
  return { state: 'closed', failures: 0, openedAt: 0, probeHolder: '', probeUntil: 0, buckets: new Map() };
}

/** The caller's view of a hash at `now`. */
export function breakerStatus(hash: BreakerHash, holder: string, now: number): SharedBreakerStatus {
  const leased = hash.probeHolder !== '' && hash.probeUntil > now;
  return {
    state: hash.state,
    failures: hash.failures,
    openForMs: hash.state === 'open' ? Math.max(0, now - hash.openedAt) : 0,
    leaseMs: leased && hash.probeHolder === holder ? hash.probeUntil - now : 0,
    otherLeaseMs: leased && hash.probeHolder !== holder ? hash.probeUntil - now : 0,
  };
}

/**
 * Applies outcomes in order (the same steps as `BREAKER_RECORD_LUA`); returns whether a closed
 * breaker opened, and with how many consecutive failures.
 */
export function applyBreakerOutcomes(
  hash: BreakerHash,
  settings: BreakerSettings,
  outcomes: readonly BreakerOutcome[],
  now: number,
): { opened: boolean; openedFailures: number } {
  const rate = settings.failureRateThreshold;
  const second = Math.floor(now / 1000);
  let attempts = 0;
  let failed = 0;
  if (rate !== undefined) {
    for (const [s, [a, f]] of hash.buckets) {
      if (s > second - BREAKER_RATE_WINDOW_SECS) {
        attempts += a;
        failed += f;
      } else {
        hash.buckets.delete(s);
      }
    }
  }
  let opened = false;
  let openedFailures = 0;
  for (const outcome of outcomes) {
    if (rate !== undefined) {
      const bucket = hash.buckets.get(second) ?? [0, 0];
      bucket[0] += 1;
      attempts += 1;
      if (outcome.failed) {
        bucket[1] += 1;
        failed += 1;
      }
      hash.buckets.set(second, bucket);
    }
    const halfOpen = hash.state === 'open' && now - hash.openedAt >= settings.cooldownMs;
    if (!outcome.failed) {
      if (hash.state === 'closed') {
        hash.failures = 0;
      } else if (outcome.probe && halfOpen) {
        hash.state = 'closed';
        hash.failures = 0;
        hash.probeHolder = '';
        hash.probeUntil = 0;
      }
      continue;
    }
    hash.failures += 1;
    const wasClosed = hash.state === 'closed';
    const trips = wasClosed
      ? hash.failures >= settings.failureThreshold ||
        (rate !== undefined && attempts >= settings.minSampleSize && failed / attempts >= rate)
      : outcome.probe && halfOpen;
    if (trips) {
      hash.state = 'open';
      hash.openedAt = now;
      hash.probeHolder = '';
      hash.probeUntil = 0;
      if (wasClosed) {
        opened = true;
        openedFailures = hash.failures;
      }
    }
  }
  return { opened, openedFailures };
}

/** Grants the probe lease when the breaker is half-open and no other holder's lease is live. */
export function claimBreakerProbe(hash: BreakerHash, holder: string, cooldownMs: number, leaseMs: number, now: number): boolean {
  const halfOpen = hash.state === 'open' && now - hash.openedAt >= cooldownMs;
  if (!halfOpen || (hash.probeUntil > now && hash.probeHolder !== holder)) return false;
  hash.probeHolder = holder;
  hash.probeUntil = now + leaseMs;
  return true;
}

/** Argument checks shared by both backends. */
export function assertBreakerSettings(settings: BreakerSettings): void {
  for (const [name, value] of [
    ['failureThreshold', settings.failureThreshold],
    ['cooldownMs', settings.cooldownMs],
    ['minSampleSize', settings.minSampleSize],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const rate = settings.failureRateThreshold;
  if (rate !== undefined && !(rate > 0 && rate <= 1)) throw new RangeError(`failureRateThreshold must be in (0, 1], got ${rate}`);
}

export function assertPositiveMs(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

export function assertHolder(holder: string): void {
  if (holder.length === 0) throw new RangeError('holder must not be empty');
}
