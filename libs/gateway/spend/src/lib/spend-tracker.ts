import { Injectable } from '@nestjs/common';
import type { ProxyContext } from '@ailink/gateway-proxy';
import type { ResolvedPrice } from './pricing/price-book';
import type { ProviderKey } from './pricing/providers';
import type { SpendPeriod } from './periods';
import type { CapCheck } from './spend-ledger';
import type { CounterRef, SpendScope } from './spend-keys';
import type { SpendWatch } from './spend-events';

/** A cap applied to a request, with what the messages and headers say of it. */
export interface AppliedCap extends CapCheck {
  scope: SpendScope;
  period: SpendPeriod;
}

/** The spend state of one proxied request, from the spend stage to its settlement. */
export interface SpendState {
  orgId: string;
  projectId: string;
  tokenId: string;
  /** Every counter the request settles into (token and project periods), keys captured at reservation. */
  counters: CounterRef[];
  caps: AppliedCap[];
  /** Thresholds whose first crossing emits `budget_warning`. */
  watches: SpendWatch[];
  model: string | null;
  providers: ProviderKey[];
  /** Estimated prompt tokens (⌈chars / 4⌉), for the cost of a response without usage. */
  promptTokens: number;
  /** The price used for the estimate (null: none, or no cap applied). */
  price: ResolvedPrice | null;
  reservation?: { owner: string; amountMicros: number; refresh?: NodeJS.Timeout };
  /** The request's session (`X-Session-Id`), when it is tracked. */
  session?: { projectId: string; sessionId: string };
  /** The token's team and the UTC day the request counts on (`team_spend` rows). */
  team?: { teamId: string; day: string };
}

/**
 * Hands a request's spend state from the stage to the completion hook without request-scoped
 * providers or fields on the context: a WeakMap keyed by the request's ProxyContext.
 */
@Injectable()
export class SpendTracker {
  private readonly states = new WeakMap<ProxyContext, SpendState>();
  /** States the guard stage built (null: nothing to track) and the spend stage has not taken yet. */
  private readonly prepared = new WeakMap<ProxyContext, SpendState | null>();

  /** Keeps what the guard stage built for the spend stage; a request ended in between leaves no trace. */
  prepare(ctx: ProxyContext, state: SpendState | null): void {
    this.prepared.set(ctx, state);
  }

  /** The guard stage's state (null: it found nothing to track), or undefined when the guard did not run. */
  takePrepared(ctx: ProxyContext): SpendState | null | undefined {
    const state = this.prepared.get(ctx);
    this.prepared.delete(ctx);
    return state;
  }

  set(ctx: ProxyContext, state: SpendState): void {
    this.states.set(ctx, state);
  }

  get(ctx: ProxyContext): SpendState | undefined {
    return this.states.get(ctx);
  }

  /** Removes and returns the state (settlement runs once). */
  take(ctx: ProxyContext): SpendState | undefined {
    const state = this.states.get(ctx);
    this.states.delete(ctx);
    return state;
  }

  delete(ctx: ProxyContext): void {
    this.states.delete(ctx);
  }
}
