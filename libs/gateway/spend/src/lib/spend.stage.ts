import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { BUDGET_REMAINING_HEADER_PREFIX } from '@ailink/shared-contracts';
import { AppConfig, ErrorCode, GatewayError, LOGGER } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import { tokensCostCeil } from './cost/cost';
import { estimatedPromptTokens, requestedModel, requestedOutputTokens } from './cost/estimate';
import { formatDollars, microsToUsd } from './money';
import { PROJECT_BUDGET_PERIODS, TOKEN_CAP_PERIODS, periodKey, periodLabel } from './periods';
import { PricingService } from './pricing/pricing.service';
import { providerCandidates } from './pricing/providers';
import { SpendLedger } from './spend-ledger';
import { SpendProfileCache } from './spend-profile-cache';
import { counterRef, currentCounterRef, currentCounterRefs } from './spend-keys';
import { SpendTracker, type AppliedCap, type SpendState } from './spend-tracker';
import { SessionsService } from './sessions/sessions.service';
import { SpendEvents, type SpendWatch } from './spend-events';

/** Live reservations are refreshed this often (vault-and-spend.md §8.6). */
export const RESERVATION_REFRESH_MS = 60_000;

/**
 * `unpriced_models` (realtime-and-config.md settings; vault-and-spend.md §8.7): whether a request whose
 * model has no price passes a cap. The settings store is not built yet, so the documented default
 * (`deny`) applies.
 */
const UNPRICED_MODELS: 'allow' | 'deny' = 'deny';

/** Header reporting what is left of a cap: `x-ailink-budget-remaining-{daily|monthly|lifetime|team|project}`. */
export function remainingHeader(cap: Pick<AppliedCap, 'scope' | 'period'>): string | null {
  if (cap.scope === 'token') return BUDGET_REMAINING_HEADER_PREFIX + cap.period;
  if (cap.scope === 'team' || cap.scope === 'project') return BUDGET_REMAINING_HEADER_PREFIX + cap.scope;
  return null;
}

/** USD with 4 decimal places, rounded down, never negative. */
export function remainingValue(micros: number): string {
  return (Math.floor(Math.max(0, micros) / 100) / 10_000).toFixed(4);
}

export function spendCapReached(cap: AppliedCap, spentMicros: number, reservedMicros: number, reason?: 'pricing_missing'): GatewayError {
  const what =
    cap.scope === 'token'
      ? `${periodLabel(cap.period)} spend cap`
      : cap.scope === 'session'
        ? 'Session spend cap'
        : `${periodLabel(cap.period)} ${cap.scope} spend cap`;
  const message =
    reason === 'pricing_missing' ? `${what} applies and the model has no price` : `${what} of ${formatDollars(cap.limitMicros)} reached`;
  return new GatewayError(ErrorCode.SpendCapReached, message, {
    details: {
      scope: cap.scope,
      period: cap.period,
      limit_usd: microsToUsd(cap.limitMicros),
      current_usd: microsToUsd(spentMicros),
      reserved_usd: microsToUsd(reservedMicros),
      ...(reason ? { reason } : {}),
    },
  });
}

/**
 * Proxy stage `spend` (proxy.md §7 step 15; the groundwork may have been laid by {@link SpendGuardStage}
 * at step 10; vault-and-spend.md §6, §8): after token resolution,
 * before the upstream call. Resolves the token's caps and its project's budget from the cache tiers
 * and records which counters the request settles into. A request with no cap in any scope stops
 * there: no store call. Otherwise it estimates the cost (prompt characters / 4 × input price +
 * output limit × output price) and reserves it on every cap in one atomic call: refused → 402
 * `spend_cap_reached`; admitted → `x-ailink-budget-remaining-*` headers. Settlement is
 * {@link SpendSettleHook}'s.
 */
@Injectable()
export class SpendStage implements ProxyStage {
  readonly name = 'spend';

  constructor(
    private readonly profiles: SpendProfileCache,
    private readonly pricing: PricingService,
    private readonly ledger: SpendLedger,
    private readonly tracker: SpendTracker,
    private readonly sessions: SessionsService,
    private readonly events: SpendEvents,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: ProxyContext): Promise<void> {
    const prepared = this.tracker.takePrepared(ctx);
    // A request held for a human decision is looked at afresh: its periods (and session) may have moved on.
    const state = prepared === undefined || ctx.deliberateWaitMs > 0 ? await this.prepare(ctx) : prepared;
    if (!state) return;
    this.tracker.set(ctx, state);
    if (state.caps.length === 0) return;

    try {
      await this.reserve(ctx, state);
    } catch (error) {
      this.tracker.delete(ctx);
      throw error;
    }
  }

  /**
   * Steps 10 and 15's shared groundwork: the session guard (paused/completed sessions refused) and the
   * request's spend state — its counters, the caps that apply, the budget-warning thresholds. Null
   * when the request has no token or its project is gone. No reservation yet.
   */
  async prepare(ctx: ProxyContext): Promise<SpendState | null> {
    const token = ctx.token;
    if (!token) return null;
    const [caps, project, team] = await Promise.all([
      this.profiles.tokenCaps(token.id),
      this.profiles.project(token.projectId),
      token.teamId ? this.profiles.team(token.teamId) : null,
    ]);
    if (!project) return null;
    // Session guard (proxy.md §15): paused/completed sessions are refused before anything is reserved.
    const sessionId = ctx.header('x-session-id')?.trim();
    const session = sessionId ? await this.sessions.forRequest(token, sessionId, ctx.header('x-properties'), ctx.requestId) : null;
    const now = new Date();
    const nowMs = now.getTime();
    const tokenCounters = currentCounterRefs('token', token.id, TOKEN_CAP_PERIODS, nowMs);
    const projectCounters = currentCounterRefs('project', token.projectId, PROJECT_BUDGET_PERIODS, nowMs);
    const applied: AppliedCap[] = [];
    for (const counter of tokenCounters) {
      const limit = caps[counter.period as keyof typeof caps];
      if (limit !== undefined) applied.push({ counter, limitMicros: limit, scope: 'token', period: counter.period });
    }
    const budget = project.budget;
    if (budget && budget.hardCapMicros !== null) {
      const counter = projectCounters.find((c) => c.period === budget.resetPeriod);
      if (counter) applied.push({ counter, limitMicros: budget.hardCapMicros, scope: 'project', period: counter.period });
    }
    const counters = [...tokenCounters, ...projectCounters];
    if (token.teamId && team) {
      // The daily team counter feeds `team_spend` (one row per UTC day); a budget over a longer
      // period gets its own counter, whose base is the sum of its days.
      const daily = currentCounterRef('team', token.teamId, 'daily', nowMs);
      counters.push(daily);
      if (team.limitMicros !== null) {
        const counter = team.period === 'daily' ? daily : currentCounterRef('team', token.teamId, team.period, nowMs);
        if (counter !== daily) counters.push(counter);
        applied.push({ counter, limitMicros: team.limitMicros, scope: 'team', period: team.period });
      }
    }
    if (session && sessionId) {
      const counter = counterRef('session', `${token.projectId}:${sessionId}`, 'lifetime', now);
      counters.push(counter);
      if (session.spendCapMicros !== null)
        applied.push({ counter, limitMicros: session.spendCapMicros, scope: 'session', period: 'lifetime' });
    }
    const watches: SpendWatch[] = applied
      .filter((cap) => cap.limitMicros > 0)
      .map((cap) => ({ ...cap, thresholdMicros: this.events.thresholdOf(cap.limitMicros), projectId: token.projectId }));
    if (budget && budget.warnMicros !== null && budget.warnMicros > 0) {
      const counter = projectCounters.find((c) => c.period === budget.resetPeriod);
      if (counter) {
        watches.push({
          counter,
          scope: 'project',
          period: counter.period,
          thresholdMicros: budget.warnMicros,
          limitMicros: budget.warnMicros,
          projectId: token.projectId,
        });
      }
    }
    const model = requestedModel(ctx.json, ctx.upstreamPath);
    const state: SpendState = {
      orgId: project.orgId,
      projectId: token.projectId,
      tokenId: token.id,
      counters,
      caps: applied,
      watches,
      model,
      providers: [],
      promptTokens: 0,
      price: null,
      ...(session && sessionId ? { session: { projectId: token.projectId, sessionId } } : {}),
      ...(token.teamId && team ? { team: { teamId: token.teamId, day: periodKey('daily', now) } } : {}),
    };
    return state;
  }

  /** Reports a refused cap (`spend_cap_exceeded`, deduplicated per minute). */
  capEvent(ctx: ProxyContext, cap: AppliedCap, spentMicros: number, reason: 'spend_cap_reached' | 'pricing_missing'): void {
    const token = ctx.token as NonNullable<ProxyContext['token']>;
    this.events.capExceeded(
      { projectId: token.projectId, tokenId: token.id, tokenName: token.name, scope: cap.scope, period: cap.period },
      cap.limitMicros,
      spentMicros,
      reason,
    );
  }

  private async reserve(ctx: ProxyContext, state: SpendState): Promise<void> {
    const token = ctx.token as NonNullable<ProxyContext['token']>;
    state.providers = providerCandidates(state.model, ctx.serviceBaseUrl ?? token.upstreams[0]?.url, ctx.route);
    state.promptTokens = estimatedPromptTokens(ctx.json);
    let amount = 0;
    if (state.model) {
      const price = await this.pricing.lookup(state.orgId, state.providers, state.model);
      state.price = price;
      if (price) {
        const output = requestedOutputTokens(ctx.json) ?? price.maxOutputTokens ?? this.config.spendDefaultOutputTokens;
        amount = tokensCostCeil(state.promptTokens, price.inputPerM, output, price.outputPerM);
      } else if (UNPRICED_MODELS === 'deny') {
        this.capEvent(ctx, state.caps[0], 0, 'pricing_missing');
        throw spendCapReached(state.caps[0], 0, 0, 'pricing_missing');
      }
    }

    const owner = `${ctx.requestId}:0`;
    const ttlMs = this.config.spendReservationTtlSecs * 1000;
    let result;
    try {
      result = await this.ledger.reserve(state.caps, owner, amount, ttlMs);
      if (result.status === 'need_load') throw new Error('spend counters could not be loaded');
    } catch (error) {
      if (this.config.spendFailMode === 'closed') {
        this.logger.warn({ err: error, request_id: ctx.requestId }, 'Spend: reservation failed (fail mode closed)');
        throw new GatewayError(ErrorCode.DependencyUnavailable, 'Spend tracking is unavailable; the request was not forwarded');
      }
      this.logger.warn({ err: error, request_id: ctx.requestId }, 'Spend: reservation failed (fail mode open); proceeding');
      ctx.warnings.push('spend cap not enforced');
      return;
    }
    if (result.status === 'rejected') {
      this.capEvent(ctx, state.caps[result.index], result.spentMicros, 'spend_cap_reached');
      throw spendCapReached(state.caps[result.index], result.spentMicros, result.reservedMicros);
    }
    const reservation: NonNullable<SpendState['reservation']> = { owner, amountMicros: amount };
    state.reservation = reservation;
    const member = `${owner}:${amount}`;
    const counters = state.caps.map((c) => c.counter);
    reservation.refresh = setInterval(() => void this.ledger.refresh(counters, member, ttlMs), RESERVATION_REFRESH_MS);
    reservation.refresh.unref();
    result.remainingMicros.forEach((remaining, i) => {
      const header = remainingHeader(state.caps[i]);
      if (header) ctx.clientHeaders[header] = remainingValue(remaining);
    });
  }
}
