import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import { SpendLedger } from './spend-ledger';
import { SpendTracker } from './spend-tracker';
import { SpendStage, spendCapReached } from './spend.stage';

/** Whether the policy stage left a `require_approval` action for the approval stage (proxy.md §7 step 8). */
function approvalFlagged(ctx: ProxyContext): boolean {
  const actions = ctx.policy?.actions;
  if (!actions) return false;
  for (const fired of actions) if (fired.action.action === 'require_approval' && fired.status === 'deferred') return true;
  return false;
}

/**
 * Proxy stage `spend-guard` (proxy.md §7 steps 10–11), before human approval: the session guard (a
 * paused or completed session is refused before anyone is asked to approve its request), and — only
 * when an approval is flagged — the spend pre-check: a cap that is already at or over its limit
 * answers 402 `spend_cap_reached` at once, so no approval is requested for a request that cannot be
 * paid for. The state it builds is handed to the `spend` stage (step 15), which reserves; requests
 * without an approval make no extra store call here.
 */
@Injectable()
export class SpendGuardStage implements ProxyStage {
  readonly name = 'spend-guard';

  constructor(
    private readonly spend: SpendStage,
    private readonly tracker: SpendTracker,
    private readonly ledger: SpendLedger,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: ProxyContext): Promise<void> {
    const state = await this.spend.prepare(ctx);
    this.tracker.prepare(ctx, state);
    if (!state || state.caps.length === 0 || !approvalFlagged(ctx)) return;
    let counters;
    try {
      counters = await this.ledger.read(state.caps.map((cap) => cap.counter));
    } catch (error) {
      // The reservation at step 15 still enforces every cap (and applies the spend fail mode).
      this.logger.warn({ err: error, request_id: ctx.requestId }, 'Spend: pre-check before approval skipped (counters unavailable)');
      return;
    }
    const index = state.caps.findIndex((cap, i) => (counters[i]?.spentMicros ?? 0) >= cap.limitMicros);
    if (index < 0) return;
    const cap = state.caps[index];
    const counter = counters[index];
    this.spend.capEvent(ctx, cap, counter.spentMicros, 'spend_cap_reached');
    throw spendCapReached(cap, counter.spentMicros, counter.reservedMicros);
  }
}
