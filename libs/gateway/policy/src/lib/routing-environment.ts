import { Injectable, Logger, Optional, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ProxyHandler, normaliseBase, type ProxyContext } from '@ailink/gateway-proxy';
import type { RoutingEnvironment } from './actions/routing';

/**
 * Prices for `dynamic_route` `lowest_cost` (proxy.md §11): the blended `(input_per_m + output_per_m) / 2`
 * in USD per million tokens of a model at an upstream, or null when unknown. The pricing feature
 * provides the source (the app binds it as a global provider); without one no price is known and
 * `lowest_cost` keeps pool order.
 */
export abstract class RoutePriceSource {
  abstract blendedPricePerM(projectId: string, model: string, upstreamUrl: string): Promise<number | null>;
}

/** Owns the `lowest_latency` query on `audit_logs`: p50 `response_latency_ms` per model over the last hour. */
@Injectable()
export class RouteLatencyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async p50ByModel(): Promise<Map<string, number>> {
    const rows = (await this.dataSource.query(
      `SELECT model, percentile_cont(0.5) WITHIN GROUP (ORDER BY response_latency_ms) AS p50
         FROM audit_logs
        WHERE created_at >= now() - interval '1 hour'
          AND model IS NOT NULL AND response_latency_ms IS NOT NULL AND error_type IS NULL
        GROUP BY model
        LIMIT 10000`,
    )) as { model: string; p50: number | string }[];
    return new Map(rows.map((r) => [r.model, Number(r.p50)]));
  }
}

/** p50 latencies are refreshed at most this often (proxy.md §11: every 5 min). */
export const LATENCY_REFRESH_MS = 5 * 60_000;

/**
 * What the routing actions read of the running gateway, all from memory on the request path: the
 * token's circuit breakers (shared with the proxy), prices (through the cache tiers of the price
 * source), p50 latencies (refreshed in the background at most every 5 min, from the first
 * `lowest_latency` use on), requests in flight per routed URL on this instance, round-robin turns.
 */
@Injectable()
export class PolicyRoutingService implements OnModuleDestroy {
  private readonly logger = new Logger('PolicyRouting');
  private latency = new Map<string, number>();
  private latencyAt = 0;
  private refreshing?: Promise<void>;
  private readonly inFlightByUrl = new Map<string, number>();
  private readonly routed = new WeakMap<ProxyContext, string>();
  private readonly turns = new Map<string, number>();
  private closed = false;

  constructor(
    @Optional() private readonly prices?: RoutePriceSource,
    @Optional() private readonly latencies?: RouteLatencyRepository,
    @Optional() private readonly proxy?: ProxyHandler,
  ) {}

  onModuleDestroy(): void {
    this.closed = true;
  }

  /** The environment of one request (its token's breakers and project). */
  environment(ctx: ProxyContext): RoutingEnvironment {
    const token = ctx.token;
    const breakers = this.proxy?.breakers;
    return {
      breakerOpen: (url) => (token && breakers ? breakers.state(token.id, normaliseBase(url), token.circuitBreaker) === 'open' : false),
      blendedPricePerM: async (model, url) => {
        if (!token || !this.prices) return null;
        try {
          return await this.prices.blendedPricePerM(token.projectId, model, url);
        } catch (error) {
          this.logger.warn(`Route prices unavailable: ${error instanceof Error ? error.message : String(error)}`);
          return null;
        }
      },
      latencyP50Ms: (model) => this.latencyOf(model),
      inFlight: (url) => this.inFlightByUrl.get(normaliseBase(url)) ?? 0,
      nextTurn: (key) => {
        const turn = this.turns.get(key) ?? 0;
        if (this.turns.size >= 100_000) this.turns.clear();
        this.turns.set(key, turn + 1);
        return turn;
      },
      random: Math.random,
    };
  }

  /** A request was routed to `url`: counted in flight until {@link finished}. */
  started(ctx: ProxyContext, url: string): void {
    this.finished(ctx);
    const key = normaliseBase(url);
    this.routed.set(ctx, key);
    this.inFlightByUrl.set(key, (this.inFlightByUrl.get(key) ?? 0) + 1);
  }

  /** The request is over (idempotent). */
  finished(ctx: ProxyContext): void {
    const key = this.routed.get(ctx);
    if (key === undefined) return;
    this.routed.delete(ctx);
    const left = (this.inFlightByUrl.get(key) ?? 1) - 1;
    if (left <= 0) this.inFlightByUrl.delete(key);
    else this.inFlightByUrl.set(key, left);
  }

  /** p50 of a model, from the last refresh; a stale table starts a refresh in the background. */
  private latencyOf(model: string): number | undefined {
    if (this.latencies && !this.closed && !this.refreshing && Date.now() - this.latencyAt >= LATENCY_REFRESH_MS) {
      this.latencyAt = Date.now();
      this.refreshing = this.latencies
        .p50ByModel()
        .then((table) => {
          this.latency = table;
        })
        .catch((error: unknown) =>
          this.logger.warn(`Latency statistics unavailable: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          this.refreshing = undefined;
        });
    }
    return this.latency.get(model);
  }

  /** For tests: waits for a refresh in progress. */
  async settled(): Promise<void> {
    await this.refreshing;
  }
}
