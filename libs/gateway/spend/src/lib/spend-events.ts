import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { EventBus, OncePerWindow } from '@ailink/gateway-events';
import { KeyValueStore } from '@ailink/gateway-redis';
import { microsToUsd } from './money';
import type { SpendPeriod } from './periods';
import type { CounterRef, SpendScope } from './spend-keys';

/** A threshold on a counter whose first crossing in a period emits `budget_warning`. */
export interface SpendWatch {
  counter: CounterRef;
  scope: SpendScope;
  period: SpendPeriod;
  /** The amount the warning fires at (micro-USD). */
  thresholdMicros: number;
  /** The cap (or the project's warning threshold) the event reports as `limit_usd`. */
  limitMicros: number;
  projectId: string;
}

/** `spend_cap_exceeded` fires at most once per token, scope and period in this window (per instance). */
export const CAP_EVENT_WINDOW_MS = 60_000;
/** Lifetime counters have no period end: their warning flag lives this long. */
const LIFETIME_FLAG_SECS = 400 * 86_400;

/** Redis flag deduplicating `budget_warning` per scope, id and period key (data-model.md). */
export function budgetWarnKey(counter: CounterRef): string {
  return `ailink:budgetwarn:${counter.scope}:${counter.id}:${counter.periodKey}`;
}

/**
 * Spend events (approvals-webhooks-anomalies.md §2; vault-and-spend.md §6): `spend_cap_exceeded` when
 * a reservation is refused (at most one per token, scope and period per minute on an instance, with
 * `suppressed_count`), and `budget_warning` when settled spend first crosses `AILINK_BUDGET_WARN_RATIO`
 * of a cap — or a project's `warn_threshold_usd` — in a period, once across all instances (a Redis
 * `SET NX` flag). Never throws and never delays a request.
 */
@Injectable()
export class SpendEvents {
  private readonly gate = new OncePerWindow(CAP_EVENT_WINDOW_MS);

  constructor(
    private readonly bus: EventBus,
    private readonly store: KeyValueStore,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The warn threshold of a cap: `AILINK_BUDGET_WARN_RATIO` × limit (rounded up). */
  thresholdOf(limitMicros: number): number {
    return Math.ceil(limitMicros * this.config.budgetWarnRatio);
  }

  capExceeded(
    input: { projectId: string; tokenId: string; tokenName: string; scope: SpendScope; period: SpendPeriod },
    limitMicros: number,
    currentMicros: number,
    reason: 'spend_cap_reached' | 'pricing_missing',
  ): void {
    try {
      const suppressed = this.gate.admit(`${input.tokenId}|${input.scope}|${input.period}`);
      if (suppressed === null) return;
      this.bus.emit('spend_cap_exceeded', {
        project_id: input.projectId,
        token_id: input.tokenId,
        token_name: input.tokenName,
        details: {
          scope: input.scope,
          period: input.period,
          limit_usd: microsToUsd(limitMicros),
          current_usd: microsToUsd(currentMicros),
          reason,
          suppressed_count: suppressed,
        },
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'Spend: could not emit spend_cap_exceeded');
    }
  }

  /**
   * After a settlement added `addedMicros` to a watched counter that now holds `spentMicros`: emits
   * `budget_warning` if this settlement crossed the threshold and no instance has warned for this
   * counter's period yet.
   */
  settled(watch: SpendWatch, spentMicros: number, addedMicros: number, tokenId: string | null): void {
    if (watch.thresholdMicros <= 0 || spentMicros < watch.thresholdMicros || spentMicros - addedMicros >= watch.thresholdMicros) return;
    const ttl =
      watch.counter.expireAtSecs === null ? LIFETIME_FLAG_SECS : Math.max(1, watch.counter.expireAtSecs - Math.floor(Date.now() / 1000));
    this.store
      .setIfAbsent(budgetWarnKey(watch.counter), '1', ttl)
      .then((first) => {
        if (!first) return;
        this.bus.emit('budget_warning', {
          project_id: watch.projectId,
          token_id: tokenId,
          details: {
            scope: watch.scope,
            period: watch.period,
            limit_usd: microsToUsd(watch.limitMicros),
            current_usd: microsToUsd(spentMicros),
            ratio: watch.limitMicros > 0 ? Math.round((spentMicros / watch.limitMicros) * 10_000) / 10_000 : 1,
          },
        });
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Spend: could not emit budget_warning'));
  }
}
