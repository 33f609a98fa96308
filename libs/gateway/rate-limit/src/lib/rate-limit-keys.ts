import { sha1Hex } from '@ailink/gateway-core';
import type { RateLimitKey } from '@ailink/shared-contracts';

/** Longest client-chosen bucket value (agent name, user id) kept verbatim in a key; longer ones are hashed. */
const MAX_BUCKET_VALUE = 128;

const WINDOW = /^([1-9]\d{0,9})([smhd])$/;
const UNIT_SECS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** `window` bounds (vault-and-spend.md §7): 1 s to 30 d. */
export const MAX_WINDOW_SECS = 30 * 86_400;

/** `N[s|m|h|d]` → seconds, or null when unparseable or outside 1 s – 30 d. */
export function windowSecs(window: string): number | null {
  const match = WINDOW.exec(window);
  if (!match) return null;
  const secs = Number(match[1]) * (UNIT_SECS[match[2] ?? ''] ?? 0);
  return secs >= 1 && secs <= MAX_WINDOW_SECS ? secs : null;
}

/** `{action_hash}`: the first 12 hex characters of SHA-1(`key|window|max_requests`) (vault-and-spend.md §7, §8.1). */
export function actionHash(key: RateLimitKey, window: string, maxRequests: number): string {
  return sha1Hex(`${key}|${window}|${maxRequests}`).slice(0, 12);
}

/** Who a request is counted as, per bucket kind. */
export interface RateLimitSubject {
  tokenId: string;
  /** `X-AILink-Agent-Name`, else `User-Agent`. */
  agentName?: string | null;
  /** `context.ip` (trusted proxies applied). */
  ip?: string | null;
  /** `X-User-Id`. */
  userId?: string | null;
}

/** A client-chosen value as a key part: verbatim when short, else `sha1:<hex>` (bounded keys). */
function part(value: string): string {
  return value.length <= MAX_BUCKET_VALUE ? value : `sha1:${sha1Hex(value)}`;
}

function present(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

/**
 * The bucket of a request for a limit key (vault-and-spend.md §7): `tok:{token}`, `agent:{agent name
 * or "unknown"}`, `ip:{context.ip or "unknown"}`, `user:{X-User-Id or token id}`, `global`.
 */
export function bucketOf(key: RateLimitKey, subject: RateLimitSubject): string {
  switch (key) {
    case 'per_agent':
      return `agent:${part(present(subject.agentName) ?? 'unknown')}`;
    case 'per_ip':
      return `ip:${part(present(subject.ip) ?? 'unknown')}`;
    case 'per_user':
      return `user:${part(present(subject.userId) ?? subject.tokenId)}`;
    case 'global':
      return 'global';
    default:
      return `tok:${subject.tokenId}`;
  }
}

/** `ailink:rl:{policy_id}:{action_hash}:{bucket}` — the log of an enforced `rate_limit` action. */
export function policyLimitKey(policyId: string, hash: string, bucket: string): string {
  return `ailink:rl:${policyId}:${hash}:${bucket}`;
}

/**
 * `ailink:rl:shadow:{policy_id}:{action_hash}:{bucket}` — the simulated log of a shadow-mode
 * `rate_limit` action: never the enforced log, so a shadow policy changes nothing a request sees.
 */
export function shadowLimitKey(policyId: string, hash: string, bucket: string): string {
  return `ailink:rl:shadow:${policyId}:${hash}:${bucket}`;
}

/** `ailink:rl:default:tok:{token}` — the implicit per-token limit (`AILINK_DEFAULT_RPM`). */
export function defaultLimitKey(tokenId: string): string {
  return `ailink:rl:default:tok:${tokenId}`;
}

/** `ailink:usage:req:{token}:{YYYY-MM-DD}` (25 h) and `…:{YYYY-MM-DDTHH}` (2 h): `usage.requests_today` / `_this_hour`. */
export function usageCounterKeys(tokenId: string, now: Date): { day: string; hour: string } {
  const iso = now.toISOString();
  return { day: `ailink:usage:req:${tokenId}:${iso.slice(0, 10)}`, hour: `ailink:usage:req:${tokenId}:${iso.slice(0, 13)}` };
}

export const USAGE_DAY_TTL_SECS = 25 * 3600;
export const USAGE_HOUR_TTL_SECS = 2 * 3600;
