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

/** An upstream response the proxy buffered whole, before it is sent; response stages may change it. */
export interface BufferedProxyResponse {
  readonly status: number;
  /** The forwardable upstream headers (lower-case names) the client will receive, before the gateway's own. */
  headers: Record<string, string | string[]>;
  /** The body the client will receive (JSON, or for a buffered stream its SSE text). */
  body: Buffer;
}

/**
 * A step on the upstream response (the post phase): `onResponse` runs on every buffered response
 * (non-streaming, non-2xx streaming, and streams a stage asked to buffer) before it is sent — throw
 * a GatewayError to answer with it instead. `onStream` is asked once per streamed 2xx response
 * before its first byte: `'buffer'` collects the whole stream and hands it to `onResponse` (then
 * replays it as SSE); a transform rewrites the relayed events; undefined relays them untouched.
 */
export interface ProxyResponseStage {
  readonly name: string;
  onResponse?(ctx: ProxyContext, response: BufferedProxyResponse): void | Promise<void>;
  onStream?(
    ctx: ProxyContext,
  ):
    | import('./sse-relay').SseEventTransform
    | 'buffer'
    | undefined
    | Promise<import('./sse-relay').SseEventTransform | 'buffer' | undefined>;
}
