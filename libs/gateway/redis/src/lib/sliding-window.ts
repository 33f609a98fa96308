import type { SlidingWindowLimit, SlidingWindowResult } from './key-value-store';

/**
 * Raw outcome of one limit, as computed by the Lua script or by the memory backend.
 * `oldestScore`: timestamp of the oldest counted entry (null when none);
 * `unblockScore`: timestamp of the entry whose departure admits the next request (null when allowed).
 */
export interface SlidingWindowRaw {
  allowed: boolean;
  count: number;
  oldestScore: number | null;
  unblockScore: number | null;
}

/** Turns the raw outcome into the public result; shared so that both backends answer identically. */
export function toSlidingWindowResult(limit: SlidingWindowLimit, nowMs: number, raw: SlidingWindowRaw): SlidingWindowResult {
  const { windowMs } = limit;
  let retryAfterMs = 0;
  if (!raw.allowed) {
    retryAfterMs = raw.unblockScore === null ? windowMs : Math.max(1, raw.unblockScore + windowMs - nowMs);
  }
  return {
    allowed: raw.allowed,
    count: raw.count,
    remaining: Math.max(0, limit.limit - raw.count),
    retryAfterMs,
    resetMs: raw.oldestScore === null ? 0 : Math.max(0, raw.oldestScore + windowMs - nowMs),
  };
}
