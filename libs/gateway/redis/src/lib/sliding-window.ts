import { randomBytes } from 'node:crypto';
import type { SlidingWindowLimit, SlidingWindowResult } from './key-value-store';

/** Longest caller-supplied part of a log member (request ids are 36 characters). */
const MAX_MEMBER = 64;

/** This process's random mark in log entries (drawn once), followed by a counter: unique without drawing randomness per entry. */
const PROCESS_MARK = randomBytes(4).toString('hex');
let sequence = 0;

/**
 * The unique part of a log entry after `{now_ms}-`: the caller's label (e.g. the request id, clipped),
 * then 8 hex digits drawn once per process and a per-process counter, so that two requests never
 * share an entry even with the same label (in one process, or in two).
 */
export function memberSuffix(member: string | undefined): string {
  sequence = sequence >= Number.MAX_SAFE_INTEGER ? 0 : sequence + 1;
  const random = PROCESS_MARK + sequence.toString(36);
  return member ? `${member.slice(0, MAX_MEMBER)}-${random}` : random;
}

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
