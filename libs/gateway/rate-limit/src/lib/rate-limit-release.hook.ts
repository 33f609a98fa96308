import { Injectable } from '@nestjs/common';
import type { ProxyCompletionHook, ProxyContext } from '@ailink/gateway-proxy';
import { RateLimitStage } from './rate-limit.stage';

/**
 * Completion hook `rate-limit-release` (approvals-webhooks-anomalies.md §1, "Binding and consumption"):
 * a request the approval stage answered 202 (`async` mode, decision pending) removes its own
 * rate-limit entries, so a client polling for the decision with the same request does not use up
 * its quota. Every other request keeps its entries. Never throws.
 */
@Injectable()
export class RateLimitReleaseHook implements ProxyCompletionHook {
  readonly name = 'rate-limit-release';

  constructor(private readonly stage: RateLimitStage) {}

  complete(ctx: ProxyContext): Promise<void> | void {
    if (ctx.answer?.status !== 202 || !ctx.approval || ctx.approval.decision !== null) return;
    return this.stage.forget(ctx);
  }
}
