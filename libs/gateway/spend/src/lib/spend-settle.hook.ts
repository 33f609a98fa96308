import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import type { ProxyCompletionHook, ProxyContext } from '@ailink/gateway-proxy';
import { costMicros, tokensCostCeil } from './cost/cost';
import { estimatedPromptTokens, requestedModel, responseTextChars } from './cost/estimate';
import { usageOfResponse, type NormalisedUsage } from './cost/usage';
import { MICROS_PER_USD, parseUsd } from './money';
import { PricingService } from './pricing/pricing.service';
import { providerCandidates } from './pricing/providers';
import { SpendLedger } from './spend-ledger';
import { SpendTracker, type SpendState } from './spend-tracker';

export interface RequestCost {
  micros: number;
  pricingMissing: boolean;
  /** Prompt + completion tokens reported (0 when unknown), for session totals. */
  tokens?: number;
}

function header(ctx: ProxyContext, name: string): string | undefined {
  const value = ctx.header(name);
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function responseContentType(ctx: ProxyContext): string | undefined {
  const headers = ctx.responseHeaders ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'content-type');
  return key ? headers[key] : undefined;
}

/**
 * Completion hook `spend` (vault-and-spend.md §5, §6 "Settlement", §8.4): runs after the response (for
 * a stream, after it ended), before audit, on every exit of a request that passed the spend stage.
 * Computes the cost — reported usage × price (cached tokens at the cached price); without usage, the
 * prompt estimate plus ⌈relayed output characters / 4⌉ × output price; 0 when no upstream status
 * arrived — and puts it on the context for audit (`ctx.costUsd`, `ctx.pricingMissing`). Then:
 * a reserved request settles once, atomically (reservation released, cost added); a request without
 * caps goes to the in-memory batch. Never throws.
 */
@Injectable()
export class SpendSettleHook implements ProxyCompletionHook {
  readonly name = 'spend';

  constructor(
    private readonly tracker: SpendTracker,
    private readonly pricing: PricingService,
    private readonly ledger: SpendLedger,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async complete(ctx: ProxyContext): Promise<void> {
    const state = this.tracker.take(ctx);
    if (!state) return;
    if (state.reservation?.refresh) clearInterval(state.reservation.refresh);
    let cost: RequestCost = { micros: 0, pricingMissing: false };
    try {
      cost = await this.costOf(ctx, state);
    } catch (error) {
      this.logger.error({ err: error, request_id: ctx.requestId }, 'Spend: could not compute the cost of a request');
    }
    ctx.costUsd = cost.micros / MICROS_PER_USD;
    ctx.pricingMissing = cost.pricingMissing;
    if (state.session && cost.tokens) this.ledger.addSessionTokens(state.session.projectId, state.session.sessionId, cost.tokens);
    if (state.team && cost.tokens) this.ledger.addTeamTokens(state.team.teamId, state.team.day, cost.tokens);
    if (state.reservation) {
      await this.ledger.settle(state.orgId, ctx.requestId, state.counters, state.reservation, cost.micros, {
        watches: state.watches,
        tokenId: state.tokenId,
      });
    } else {
      this.ledger.accumulate(state.orgId, state.counters, cost.micros, state.watches);
    }
  }

  /** The cost of a completed request (see the class comment). */
  async costOf(ctx: ProxyContext, state: SpendState): Promise<RequestCost> {
    if (ctx.upstreamStatus === undefined) return { micros: 0, pricingMissing: false };
    let testTokens: NormalisedUsage | undefined;
    if (this.config.enableTestHooks) {
      const testCost = header(ctx, 'x-ailink-test-cost');
      if (testCost !== undefined) {
        const parsed = parseUsd(testCost);
        if (parsed.ok) return { micros: parsed.micros, pricingMissing: false };
      }
      const tokens = header(ctx, 'x-ailink-test-tokens');
      const match = tokens === undefined ? null : /^(\d+)\s*,\s*(\d+)$/.exec(tokens);
      if (match) testTokens = { promptTokens: Number(match[1]), completionTokens: Number(match[2]), cachedTokens: 0 };
    }
    const model = ctx.model ?? state.model ?? requestedModel(ctx.json, ctx.upstreamPath);
    const contentType = responseContentType(ctx);
    const usage = testTokens ?? usageOfResponse(ctx.usage, ctx.responseBody, contentType);
    const tokens = usage ? usage.promptTokens + usage.completionTokens : 0;
    const price = await this.pricing.lookup(state.orgId, providerCandidates(model, ctx.upstreamUrl, ctx.route), model);
    if (!price) return { micros: 0, pricingMissing: model !== null, tokens };
    if (usage) return { micros: costMicros(usage, price), pricingMissing: false, tokens };
    const outputChars = ctx.relayedChars ?? responseTextChars(ctx.responseBody, contentType);
    const promptTokens = state.promptTokens || estimatedPromptTokens(ctx.json);
    return { micros: tokensCostCeil(promptTokens, price.inputPerM, Math.ceil(outputChars / 4), price.outputPerM), pricingMissing: false };
  }
}
