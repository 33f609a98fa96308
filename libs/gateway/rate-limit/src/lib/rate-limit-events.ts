import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import { EventBus } from '@ailink/gateway-events';
import type { PlannedLimit } from './rate-limit-plan';

/** `rate_limit_exceeded` fires at most once per token, policy and rule in this window (per instance). */
export const RATE_LIMIT_EVENT_WINDOW_MS = 60_000;
/** Past this many remembered keys, expired ones are dropped (a spray of tokens cannot grow the map for long). */
const PRUNE_AT = 10_000;

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
  private readonly recent = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  refused(token: RateLimitedToken, limit: PlannedLimit, retryAfterSecs: number, now = Date.now()): void {
    try {
      const key = `${token.id}|${limit.fired?.policy_id ?? ''}|${limit.fired?.rule_index ?? ''}`;
      const last = this.recent.get(key);
      if (last && now - last.at < RATE_LIMIT_EVENT_WINDOW_MS) {
        last.suppressed += 1;
        return;
      }
      this.recent.set(key, { at: now, suppressed: 0 });
      if (this.recent.size > PRUNE_AT) this.prune(now);
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
          suppressed_count: last?.suppressed ?? 0,
        },
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'Rate limit: could not emit rate_limit_exceeded');
    }
  }

  private prune(now: number): void {
    for (const [key, entry] of this.recent) if (now - entry.at >= RATE_LIMIT_EVENT_WINDOW_MS) this.recent.delete(key);
  }
}
