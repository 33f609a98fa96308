import type { FiredPolicyAction, PolicyAction, PolicyOutcome, RateLimitKey } from '@ailink/shared-contracts';
import type { SlidingWindowLimit } from '@ailink/gateway-redis';
import {
  actionHash,
  bucketOf,
  defaultLimitKey,
  policyLimitKey,
  shadowLimitKey,
  windowSecs,
  type RateLimitSubject,
} from './rate-limit-keys';

/** One limit a request is checked against, with where it came from. */
export interface PlannedLimit {
  /** What the store checks. */
  check: SlidingWindowLimit;
  /** The fired `rate_limit` action (enforce or shadow mode); null for the default per-token limit. */
  fired: FiredPolicyAction | null;
  /** The same limit fired again by other rules (one log, counted once). */
  duplicates: FiredPolicyAction[];
  key: RateLimitKey;
  maxRequests: number;
  windowSecs: number;
  shadow: boolean;
}

/** The implicit per-token limit (`AILINK_DEFAULT_RPM` per `AILINK_DEFAULT_RPM_WINDOW` s; 0 disables it). */
export interface DefaultLimit {
  maxRequests: number;
  windowSecs: number;
}

type RateLimitAction = Extract<PolicyAction, { action: 'rate_limit' }>;

/** Per compiled action (shared, immutable, from the policy cache): its window and hash, computed once. */
const compiled = new WeakMap<RateLimitAction, { secs: number; key: RateLimitKey; hash: string } | null>();

function compile(action: RateLimitAction): { secs: number; key: RateLimitKey; hash: string } | null {
  let entry = compiled.get(action);
  if (entry === undefined) {
    const secs = windowSecs(action.window);
    const key = action.key ?? 'per_token';
    // Stored policies are validated; a window that still does not parse is not a limit anyone wrote.
    entry =
      secs === null || !Number.isInteger(action.max_requests) || action.max_requests < 1
        ? null
        : { secs, key, hash: actionHash(key, action.window, action.max_requests) };
    compiled.set(action, entry);
  }
  return entry;
}

function planned(fired: FiredPolicyAction, subject: RateLimitSubject, shadow: boolean): PlannedLimit | null {
  const action = fired.action;
  if (action.action !== 'rate_limit') return null;
  const entry = compile(action);
  if (!entry) return null;
  const { secs, key, hash } = entry;
  const bucket = bucketOf(key, subject);
  return {
    check: {
      key: shadow ? shadowLimitKey(fired.policy_id, hash, bucket) : policyLimitKey(fired.policy_id, hash, bucket),
      limit: action.max_requests,
      windowMs: secs * 1000,
      ...(shadow ? { shadow: true } : {}),
    },
    fired,
    duplicates: [],
    key,
    maxRequests: action.max_requests,
    windowSecs: secs,
    shadow,
  };
}

/**
 * The limits one request is checked against (proxy.md §7 step 7, vault-and-spend.md §7–8): every
 * fired enforce-mode `rate_limit` action still pending (one log per policy, action and bucket, so the
 * same limit fired twice counts once), every fired shadow-mode one (a simulated log, never refusing),
 * and the default per-token limit unless a `per_token` or `global` limit fired (`per_user`/`per_agent`
 * limits, whose values clients choose, never switch it off). Empty: the request needs no rate-limit
 * check at all.
 */
export function planLimits(
  outcome: PolicyOutcome | undefined,
  subject: RateLimitSubject,
  defaultLimit: DefaultLimit | null,
): PlannedLimit[] {
  const plan: PlannedLimit[] = [];
  const byKey = new Map<string, PlannedLimit>();
  const add = (limit: PlannedLimit | null): void => {
    if (!limit) return;
    const existing = byKey.get(limit.check.key);
    if (existing && limit.fired) {
      existing.duplicates.push(limit.fired);
      return;
    }
    byKey.set(limit.check.key, limit);
    plan.push(limit);
  };
  for (const fired of outcome?.actions ?? []) {
    if (fired.status === 'pending') add(planned(fired, subject, false));
  }
  for (const fired of outcome?.shadow_actions ?? []) {
    if (fired.status === 'pending') add(planned(fired, subject, true));
  }
  const replacesDefault = plan.some((p) => !p.shadow && (p.key === 'per_token' || p.key === 'global'));
  if (defaultLimit && defaultLimit.maxRequests > 0 && !replacesDefault) {
    plan.push({
      check: { key: defaultLimitKey(subject.tokenId), limit: defaultLimit.maxRequests, windowMs: defaultLimit.windowSecs * 1000 },
      fired: null,
      duplicates: [],
      key: 'per_token',
      maxRequests: defaultLimit.maxRequests,
      windowSecs: defaultLimit.windowSecs,
      shadow: false,
    });
  }
  return plan;
}
