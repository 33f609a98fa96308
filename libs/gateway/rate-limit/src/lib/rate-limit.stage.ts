import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { FiredPolicyAction } from '@ailink/shared-contracts';
import { AppConfig, ErrorCode, GatewayError, LOGGER } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import { KeyValueStore, type CounterIncrement, type SlidingWindowAllResult, type SlidingWindowResult } from '@ailink/gateway-redis';
import { USAGE_DAY_TTL_SECS, USAGE_HOUR_TTL_SECS, usageCounterKeys, type RateLimitSubject } from './rate-limit-keys';
import { RateLimitEvents } from './rate-limit-events';
import { planLimits, type DefaultLimit, type PlannedLimit } from './rate-limit-plan';

/** Response headers of the most restrictive limit evaluated (proxy.md §5). */
export const RATE_LIMIT_HEADERS = {
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
} as const;

/** Warnings are logged at most this often while Redis cannot answer. */
const WARN_INTERVAL_MS = 10_000;

/** Who the request counts as: token, agent (`X-AILink-Agent-Name`, else `User-Agent`), `context.ip`, `X-User-Id`. */
export function subjectOf(ctx: ProxyContext, tokenId: string): RateLimitSubject {
  return {
    tokenId,
    agentName: ctx.header('x-ailink-agent-name') ?? ctx.header('user-agent') ?? null,
    ip: ctx.clientIp || null,
    userId: ctx.header('x-user-id') ?? null,
  };
}

/** Whether a `require_approval` action fired on the request (the approval stage may answer 202). */
function mayAwaitApproval(ctx: ProxyContext): boolean {
  const actions = ctx.policy?.actions;
  if (!actions) return false;
  for (const fired of actions) if (fired.action.action === 'require_approval') return true;
  return false;
}

/** 429 `rate_limit_exceeded` (proxy.md §6; vault-and-spend.md §7) for the limit that refused. */
export function rateLimitExceeded(limit: PlannedLimit, retryAfterSecs: number): GatewayError {
  const policy = limit.fired?.policy ?? null;
  const scope = policy === null ? 'default per-token rate limit' : `rate limit of policy '${policy}'`;
  return new GatewayError(
    ErrorCode.RateLimitExceeded,
    `Rate limit exceeded: ${scope} allows ${limit.maxRequests} requests per ${limit.windowSecs} s`,
    {
      details: { policy, key: limit.key, limit: limit.maxRequests, window_secs: limit.windowSecs, retry_after_secs: retryAfterSecs },
      headers: { 'retry-after': String(retryAfterSecs) },
    },
  );
}

function setStatus(limit: PlannedLimit, status: FiredPolicyAction['status']): void {
  if (limit.fired) limit.fired.status = status;
  for (const d of limit.duplicates) d.status = status;
}

/**
 * Proxy stage `rate-limit` (proxy.md §7 step 7; vault-and-spend.md §7–8; policies.md §11 items 2–3):
 * after the pre-phase conditions were evaluated and before the other actions run. Every limit that
 * applies to the request — the fired `rate_limit` actions (`per_token`, `per_agent`, `per_ip`,
 * `per_user`, `global`), the default per-token limit (unless a `per_token` or `global` limit fired),
 * the shadow-mode `rate_limit` actions (simulated, never refusing) — and the usage counters are
 * checked and counted in ONE atomic Lua call on Redis time, all or nothing. A request with no limit
 * (and no policy reading `usage.*`) makes no Redis call at all.
 *
 * Admitted: `X-RateLimit-Limit/Remaining/Reset` of the most restrictive enforced limit (lowest
 * remaining). Refused: 429 `rate_limit_exceeded` with `Retry-After` and the same headers (remaining
 * 0, reset when a slot frees) and a `rate_limit_exceeded` event (deduplicated per minute). Redis
 * unavailable: `AILINK_RATE_LIMIT_FAIL_MODE` (`closed` → 503 `dependency_unavailable`, `open` →
 * proceed with `x-ailink-warning: rate limit not enforced`).
 */
@Injectable()
export class RateLimitStage implements ProxyStage {
  readonly name = 'rate-limit';
  private readonly defaultLimit: DefaultLimit | null;
  private lastWarnAt = 0;
  /** Admitted requests that may yet be answered 202 by the approval stage: the logs and entry to take back. */
  private readonly admitted = new WeakMap<ProxyContext, { keys: string[]; member: string }>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly events: RateLimitEvents,
  ) {
    this.defaultLimit = config.defaultRpm > 0 ? { maxRequests: config.defaultRpm, windowSecs: config.defaultRpmWindowSecs } : null;
  }

  async run(ctx: ProxyContext): Promise<void> {
    const token = ctx.token;
    if (!token) return;
    const plan = planLimits(ctx.policy, subjectOf(ctx, token.id), this.defaultLimit);
    const increments: CounterIncrement[] = [];
    if (plan.length > 0 || ctx.policy?.uses_usage === true) {
      const keys = usageCounterKeys(token.id, new Date());
      increments.push({ key: keys.day, ttlSecs: USAGE_DAY_TTL_SECS }, { key: keys.hour, ttlSecs: USAGE_HOUR_TTL_SECS });
    }
    if (increments.length === 0) return;

    let result: SlidingWindowAllResult;
    try {
      result = await this.store.slidingWindowAll(
        plan.map((p) => p.check),
        undefined,
        { member: ctx.requestId, increments },
      );
    } catch (error) {
      this.unavailable(ctx, error, plan);
      return;
    }
    this.apply(ctx, plan, result);
    if (result.allowed && plan.length > 0 && mayAwaitApproval(ctx)) {
      this.admitted.set(ctx, { keys: plan.map((p) => p.check.key), member: result.member });
    }
  }

  /**
   * Takes an admitted request's entries back out of its rate-limit logs (approvals-webhooks-anomalies.md
   * §1: a request answered 202 does not count, so polling for a decision does not use up the quota).
   * Only requests that could be sent for approval are remembered; others resolve at once.
   */
  async forget(ctx: ProxyContext): Promise<void> {
    const entry = this.admitted.get(ctx);
    if (!entry) return;
    this.admitted.delete(ctx);
    try {
      await this.store.slidingWindowForget(entry.keys, entry.member);
    } catch (error) {
      this.logger.warn({ err: error, request_id: ctx.requestId }, 'Rate limit: could not remove the entries of a request answered 202');
    }
  }

  private apply(ctx: ProxyContext, plan: PlannedLimit[], result: SlidingWindowAllResult): void {
    const now = result.nowMs;
    let tightest: { limit: PlannedLimit; outcome: SlidingWindowResult } | undefined;
    let refusing: { limit: PlannedLimit; outcome: SlidingWindowResult } | undefined;
    plan.forEach((limit, i) => {
      const outcome = result.results[i] as SlidingWindowResult;
      if (limit.shadow) {
        setStatus(limit, 'applied');
        if (!outcome.allowed) this.wouldBlock(ctx, limit);
        return;
      }
      if (!result.allowed) {
        setStatus(limit, outcome.allowed ? 'skipped' : 'blocked');
        if (!outcome.allowed && (!refusing || outcome.retryAfterMs > refusing.outcome.retryAfterMs)) refusing = { limit, outcome };
        return;
      }
      setStatus(limit, 'applied');
      if (
        !tightest ||
        outcome.remaining < tightest.outcome.remaining ||
        (outcome.remaining === tightest.outcome.remaining && outcome.resetMs > tightest.outcome.resetMs)
      ) {
        tightest = { limit, outcome };
      }
    });

    if (refusing) {
      const retryAfterSecs = Math.max(1, Math.ceil(refusing.outcome.retryAfterMs / 1000));
      ctx.clientHeaders[RATE_LIMIT_HEADERS.limit] = String(refusing.limit.maxRequests);
      ctx.clientHeaders[RATE_LIMIT_HEADERS.remaining] = '0';
      ctx.clientHeaders[RATE_LIMIT_HEADERS.reset] = String(Math.ceil((now + refusing.outcome.retryAfterMs) / 1000));
      this.logger.warn(
        {
          request_id: ctx.requestId,
          token_id: ctx.token?.id,
          policy: refusing.limit.fired?.policy ?? null,
          key: refusing.limit.key,
          max_requests: refusing.limit.maxRequests,
          window_secs: refusing.limit.windowSecs,
          retry_after_secs: retryAfterSecs,
        },
        'rate_limit_exceeded',
      );
      if (ctx.token) this.events.refused(ctx.token, refusing.limit, retryAfterSecs);
      throw rateLimitExceeded(refusing.limit, retryAfterSecs);
    }
    if (tightest) {
      ctx.clientHeaders[RATE_LIMIT_HEADERS.limit] = String(tightest.limit.maxRequests);
      ctx.clientHeaders[RATE_LIMIT_HEADERS.remaining] = String(tightest.outcome.remaining);
      ctx.clientHeaders[RATE_LIMIT_HEADERS.reset] = String(Math.ceil((now + tightest.outcome.resetMs) / 1000));
    }
  }

  /** A shadow limit would have refused: its rule's shadow violation becomes `would_block` (policies.md §11 item 3). */
  private wouldBlock(ctx: ProxyContext, limit: PlannedLimit): void {
    const fired = [limit.fired, ...limit.duplicates].filter((f): f is FiredPolicyAction => f !== null);
    for (const f of fired) {
      const violation = ctx.policy?.shadow_violations.find((v) => v.policy_id === f.policy_id && v.rule_index === f.rule_index);
      if (violation) violation.outcome = 'would_block';
    }
  }

  private unavailable(ctx: ProxyContext, error: unknown, plan: PlannedLimit[]): void {
    const enforced = plan.some((p) => !p.shadow);
    const at = Date.now();
    if (at - this.lastWarnAt >= WARN_INTERVAL_MS) {
      this.lastWarnAt = at;
      this.logger.warn(
        { err: error, request_id: ctx.requestId, fail_mode: this.config.rateLimitFailMode },
        'Rate limit: counters unavailable (Redis)',
      );
    }
    // Only usage counters or shadow limits were at stake: nothing to enforce, the request goes on.
    if (!enforced) return;
    if (this.config.rateLimitFailMode === 'closed') {
      throw new GatewayError(ErrorCode.DependencyUnavailable, 'Rate limiting is unavailable; the request was not forwarded', {
        headers: { 'retry-after': '1' },
      });
    }
    ctx.warnings.push('rate limit not enforced');
  }
}
