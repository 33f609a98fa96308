import type { ProxyContext } from './proxy-context';

/**
 * One step of the proxy pipeline. Features provide stages (token resolution, policies, spend,
 * credential injection, …) as Nest providers; the app lists them in order in one place
 * (`apps/gateway/src/app/proxy-pipeline.ts`). A stage ends the request by throwing a GatewayError.
 */
export interface ProxyStage {
  readonly name: string;
  /** Runs before the upstream call, in pipeline order. */
  run(ctx: ProxyContext): void | Promise<void>;
}

/**
 * Runs after the response was sent (or the request failed), in order, whatever the outcome: audit,
 * spend settlement, usage counters. Must not throw; must not delay the response.
 */
export interface ProxyCompletionHook {
  readonly name: string;
  complete(ctx: ProxyContext): void | Promise<void>;
}
