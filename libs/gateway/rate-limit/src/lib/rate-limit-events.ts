import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import { EventBus, OncePerWindow } from '@ailink/gateway-events';
import type { PlannedLimit } from './rate-limit-plan';

/** `rate_limit_exceeded` fires at most once per token, policy and rule in this window (per instance). */
export const RATE_LIMIT_EVENT_WINDOW_MS = 60_000;

/** The refused request's token, as the event names it. */
export interface RateLimitedToken {
  id: string;
  name: string;
  projectId: string;
}

/**
 * The `rate_limit_exceeded` event (approvals-webhooks-anomalies.md §2; vault-and-spend.md §7):
 * `{policy, key, max_requests, window_secs, retry_after_secs}` when a limit refuses a request, at most
 * once per (token, policy, rule) per 60 s on an instance, the refusals in between counted in
 * `details.suppressed_count` of the next event. A flooding client cannot flood the event stream. Never
 * throws and never delays the 429.
 */
@Injectable()
export class RateLimitEvents {
  private readonly gate = new OncePerWindow(RATE_LIMIT_EVENT_WINDOW_MS);

  constructor(
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  refused(token: RateLimitedToken, limit: PlannedLimit, retryAfterSecs: number, now = Date.now()): void {
    try {
      const suppressed = this.gate.admit(`${token.id}|${limit.fired?.policy_id ?? ''}|${limit.fired?.rule_index ?? ''}`, now);
      if (suppressed === null) return;
      this.bus.emit('rate_limit_exceeded', {
        project_id: token.projectId,
        token_id: token.id,
        token_name: token.name,
        details: {
          policy: limit.fired?.policy ?? null,
          key: limit.key,
          max_requests: limit.maxRequests,
          window_secs: limit.windowSecs,
          retry_after_secs: retryAfterSecs,
          suppressed_count: suppressed,
        },
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'Rate limit: could not emit rate_limit_exceeded');
    }
  }
}
