import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import {
  AppConfig,
  ErrorCode,
  GatewayError,
  LOGGER,
  baseResponseHeaders,
  randomHex,
  redactVirtualTokens,
  requestIdFrom,
  toErrorResponse,
  type BaseResponseHeaders,
} from '@ailink/gateway-core';
import { CircuitBreakers, outcomeOf, type BreakerState } from './circuit-breaker';
import { forwardableRequestHeaders, forwardableResponseHeaders } from './header-rules';
import { ProxyContext, type ProxyRoute, type ProxyToken, type UpstreamTarget } from './proxy-context';
import type { BufferedProxyResponse, ProxyCompletionHook, ProxyResponseStage, ProxyStage } from './proxy-stage';
import { DEFAULT_RETRY, backoffMs, defaultRetryApplies, type RetryConfig } from './retry-policy';
import { SseRelay, type SseEventTransform } from './sse-relay';
import {
  AFTER_HEADERS,
  UpstreamClient,
  errorCode,
  isConnectError,
  isTimeout,
  type UpstreamCall,
  type UpstreamResponse,
} from './upstream-client';
import { WeightedRoundRobin, normaliseBase, priorityTiers } from './upstream-selector';

const USER_AGENT = 'AILink-Gateway/1.0';
/** Non-streaming responses are buffered (usage, audit) up to this size; larger ones fail the request. */
const MAX_BUFFERED_RESPONSE = 64 * 1024 * 1024;

/** A proxied request as the handler sees it: read off node:http, body already buffered. */
export interface ProxyRequest {
  id: string;
  method: string;
  /** Path and query string as received. */
  url: string;
  headers: IncomingHttpHeaders;
  ip: string;
  body?: Buffer;
}

interface Attempt {
  target: UpstreamTarget;
  probe: boolean;
  state: BreakerState;
}

/**
 * The proxy route handler: builds the ProxyContext, runs the configured stages in order, selects a
 * target per attempt (priority tiers, weighted round-robin, circuit breakers), forwards through the
 * keep-alive pool with retries, relays the response (SSE chunk by chunk), and hands the context to
 * the completion hooks (audit, …) after the response. No database access happens here.
 */
@Injectable()
export class ProxyHandler {
  private stages: ProxyStage[] = [];
  private attemptStages: ProxyStage[] = [];
  private completions: ProxyCompletionHook[] = [];
  private responseStages: ProxyResponseStage[] = [];
  /** Shared through Redis or per instance (ProxyModule decides, from `AILINK_CB_SHARED`). */
  readonly breakers: CircuitBreakers;
  private readonly rr = new WeightedRoundRobin();
  private readonly baseHeaders: BaseResponseHeaders;
  /** Parsed upstream base URLs: origin and path prefix. */
  private readonly bases = new Map<string, { origin: string; prefix: string }>();
  private readonly testDelays: boolean;

  constructor(
    private readonly config: AppConfig,
    private readonly client: UpstreamClient,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() breakers?: CircuitBreakers,
  ) {
    this.breakers = breakers ?? new CircuitBreakers();
    this.baseHeaders = baseResponseHeaders({ portalOrigins: config.portalOrigins ?? [], isProduction: config.isProduction === true });
    this.testDelays = config.enableTestHooks === true && !config.isProduction;
  }

  /**
   * The proxy routes' entry point, straight from node:http (the front door routes proxy traffic here
   * without Fastify): request id, body (bounded by `AILINK_MAX_BODY_BYTES`), log context, access log,
   * then {@link handle}. Never throws; every failure is answered in the error envelope.
   */
  serve(req: IncomingMessage, res: ServerResponse, route: ProxyRoute, routed?: { serviceName?: string; upstreamPath?: string }): void {
    const id = requestIdFrom(req.headers['x-request-id']);
    const started = this.config.accessLog ? process.hrtime.bigint() : 0n;
    if (this.config.accessLog) {
      res.once('finish', () =>
        this.logger.info(
          {
            request_id: id,
            method: req.method,
            path: redactVirtualTokens(req.url ?? '/'),
            status: res.statusCode,
            duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
          },
          'request completed',
        ),
      );
    }
    readRequestBody(req, this.config.maxBodyBytes ?? Number.MAX_SAFE_INTEGER).then(
      (body) => {
        const request: ProxyRequest = {
          id,
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          ip: req.socket.remoteAddress ?? '',
          body,
        };
        const delayMs = this.testDelays ? Number(req.headers['x-ailink-test-delay-ms']) : 0;
        if (delayMs > 0 && Number.isFinite(delayMs)) {
          setTimeout(() => void this.handle(request, res, route, routed), Math.min(delayMs, 30_000));
        } else {
          void this.handle(request, res, route, routed);
        }
      },
      (error: unknown) => {
        const response = toErrorResponse(error, id);
        if (response.unexpected) this.logger.error({ err: error, request_id: id }, 'Reading a proxied request failed');
        if (res.headersSent || res.destroyed) return;
        const headers = this.baseHeaders(id, headerOf(req.headers, 'origin'));
        headers['connection'] = 'close';
        writeJson(res, response.status, Object.assign(headers, response.headers, { 'cache-control': 'no-store' }), response.body);
      },
    );
  }

  /** Set once at boot by ProxyModule from the app's ordered list. */
  configure(
    stages: ProxyStage[],
    attemptStages: ProxyStage[],
    completions: ProxyCompletionHook[],
    responseStages: ProxyResponseStage[] = [],
  ): void {
    this.stages = stages;
    this.attemptStages = attemptStages;
    this.completions = completions;
    this.responseStages = responseStages;
  }

  get stageNames(): { stages: string[]; attempt: string[]; completion: string[] } {
    return {
      stages: this.stages.map((s) => s.name),
      attempt: this.attemptStages.map((s) => s.name),
      completion: this.completions.map((c) => c.name),
    };
  }

  async handle(
    request: ProxyRequest,
    res: ServerResponse,
    route: ProxyRoute,
    routed?: { serviceName?: string; upstreamPath?: string },
  ): Promise<void> {
    const q = request.url.indexOf('?');
    const path = q >= 0 ? request.url.slice(0, q) : request.url;
    const ctx = new ProxyContext(request.id, request.method, path, request.headers, request.ip, request.url);
    ctx.route = route;
    if (routed?.serviceName) ctx.serviceName = routed.serviceName;
    if (routed?.upstreamPath !== undefined) ctx.upstreamPath = routed.upstreamPath;
    const body = request.body;
    if (Buffer.isBuffer(body) && body.length > 0) {
      ctx.body = body;
      const type = ctx.header('content-type') ?? '';
      if (type.includes('json')) {
        try {
          ctx.json = JSON.parse(body.toString('utf8'));
          ctx.streaming = (ctx.json as { stream?: unknown } | null)?.stream === true;
        } catch {
          /* not valid JSON: forwarded byte for byte */
        }
      }
    }
    const cancel = new Cancellation();
    res.once('close', () => {
      if (!res.writableFinished) {
        cancel.cancel();
        ctx.clientGone.abort();
      }
    });
    try {
      for (const stage of this.stages) {
        await stage.run(ctx);
        if (ctx.answer) break;
      }
      if (ctx.answer) return this.sendAnswer(ctx, res, ctx.answer);
      if (!ctx.token) throw new GatewayError(ErrorCode.TokenNotFound, 'Invalid or expired virtual token');
      this.prepareStreaming(ctx);
      await this.forward(ctx, res, cancel);
    } catch (error) {
      this.sendError(ctx, res, error);
    } finally {
      if (ctx.credential) ctx.credential.secret.fill(0);
      // Completion hooks (audit, …) run once the response is over: for a stream, when it ends.
      if (this.completions.length) {
        if (ctx.streamDone) void ctx.streamDone.then(() => setImmediate(() => void this.complete(ctx)));
        else setImmediate(() => void this.complete(ctx));
      }
    }
  }

  /** For OpenAI-compatible streaming chat/completions requests, ask the upstream for usage in the stream. */
  private prepareStreaming(ctx: ProxyContext): void {
    if (!ctx.streaming || ctx.route !== 'catch_all' || !/\/(chat\/)?completions$/.test(ctx.upstreamPath)) return;
    const json = ctx.json as { stream_options?: { include_usage?: boolean } };
    if (json.stream_options?.include_usage === true) return;
    json.stream_options = { ...(json.stream_options ?? {}), include_usage: true };
    ctx.bodyChanged = true;
    ctx.injectedUsage = true;
  }

  private async complete(ctx: ProxyContext): Promise<void> {
    for (const hook of this.completions) {
      try {
        await hook.complete(ctx);
      } catch (error) {
        this.logger.error({ err: error, hook: hook.name, request_id: ctx.requestId }, 'Proxy completion hook failed');
      }
    }
  }

  private retryConfig(ctx: ProxyContext): { config: RetryConfig; applies: boolean } {
    if (ctx.retry) return { config: ctx.retry, applies: true };
    return { config: DEFAULT_RETRY, applies: defaultRetryApplies(ctx.method, ctx.upstreamPath, ctx.headers) };
  }

  private select(ctx: ProxyContext, excluded: Set<string>): Attempt {
    const token = requireToken(ctx);
    const cb = token.circuitBreaker;
    const targets: UpstreamTarget[] =
      ctx.route === 'service' && ctx.targetBaseUrl
        ? [{ url: ctx.serviceBaseUrl ?? ctx.targetBaseUrl, weight: 1, priority: 1 }]
        : ctx.targetOverride?.url
          ? [{ url: ctx.targetOverride.url, weight: 1, priority: 1 }]
          : token.upstreams;
    for (const tier of priorityTiers(targets)) {
      const open = tier.filter((t) => !excluded.has(t.url) && this.breakers.state(token.id, normaliseBase(t.url), cb) !== 'open');
      while (open.length) {
        const picked = this.rr.pick(`${token.id}:${tier[0].priority}`, open);
        const acquired = this.breakers.acquire(token.id, normaliseBase(picked.url), cb);
        if (acquired.allowed) return { target: picked, probe: acquired.probe, state: acquired.state };
        open.splice(open.indexOf(picked), 1);
      }
    }
    const candidates = targets.filter((t) => !excluded.has(t.url));
    const list = (candidates.length ? candidates : targets).map((t) => ({
      url: normaliseBase(t.url),
      state: this.breakers.state(token.id, normaliseBase(t.url), cb),
      cooldown_remaining_secs: this.breakers.cooldownRemainingSecs(token.id, normaliseBase(t.url), cb),
    }));
    ctx.cbState = 'open';
    if (targets.length === 1) {
      const wait = Math.max(1, list[0].cooldown_remaining_secs);
      throw new GatewayError(ErrorCode.CircuitOpen, `Circuit breaker open for ${list[0].url}`, {
        details: { upstream: list[0].url, cooldown_remaining_secs: list[0].cooldown_remaining_secs },
        headers: { 'retry-after': String(wait) },
      });
    }
    const wait = Math.max(1, Math.min(...list.map((u) => u.cooldown_remaining_secs || 1)));
    throw new GatewayError(ErrorCode.AllUpstreamsExhausted, 'Every upstream of this token is unavailable', {
      details: { upstreams: list },
      headers: { 'retry-after': String(wait) },
    });
  }

  /**
   * Where an attempt goes: the base URL's origin and path prefix (parsed once per base and cached)
   * joined with the request path; a base ending in `/v1` absorbs the path's own `/v1`. The query is
   * kept as received unless the token travelled in `?key=` or a stage appends parameters.
   */
  private targetOf(ctx: ProxyContext, base: string): { origin: string; pathname: string; search: string } {
    let parsed = this.bases.get(base);
    if (!parsed) {
      const url = new URL(normaliseBase(base));
      parsed = { origin: url.origin, prefix: url.pathname === '/' ? '' : url.pathname };
      if (this.bases.size >= 10_000) this.bases.clear();
      this.bases.set(base, parsed);
    }
    let path = ctx.upstreamPath;
    if (parsed.prefix.endsWith('/v1') && path.startsWith('/v1/')) path = path.slice(3);
    const joined = parsed.prefix + path;
    // Already in the form the URL parser would produce (no dot segments, nothing to escape): as is.
    const pathname = PLAIN_PATH.test(joined) && !joined.includes('/.') ? joined : new URL(joined, 'http://x').pathname;
    let search = ctx.query;
    if (ctx.tokenCarrier === 'query:key' || ctx.upstreamQuery.length > 0) {
      const params = new URLSearchParams(search.slice(1));
      if (ctx.tokenCarrier === 'query:key') params.delete('key');
      for (const [k, v] of ctx.upstreamQuery) params.append(k, v);
      search = params.size ? '?' + params.toString() : '';
    }
    return { origin: parsed.origin, pathname, search };
  }

  private upstreamHeaders(ctx: ProxyContext): Record<string, string> {
    const headers = forwardableRequestHeaders(ctx.headers, ctx.tokenCarrier);
    headers['x-request-id'] = ctx.requestId;
    headers['user-agent'] = ctx.header('user-agent') ?? USER_AGENT;
    const incoming = ctx.header('traceparent');
    const traceId = incoming && /^00-[0-9a-f]{32}-/.test(incoming) ? incoming.slice(3, 35) : ctx.requestId.slice(4);
    headers['traceparent'] = `00-${traceId}-${randomHex(8)}-01`;
    Object.assign(headers, ctx.upstreamHeaders);
    // Policy transforms remove headers last (the credential's own header stays).
    if (ctx.removedUpstreamHeaders)
      for (const name of ctx.removedUpstreamHeaders) if (name !== ctx.credential?.header) delete headers[name];
    return headers;
  }

  private async forward(ctx: ProxyContext, res: ServerResponse, cancel: Cancellation): Promise<void> {
    const token = requireToken(ctx);
    const cb = token.circuitBreaker;
    const { config: retry, applies: retriesApply } = ctx.streaming ? { config: DEFAULT_RETRY, applies: false } : this.retryConfig(ctx);
    const body = ctx.bodyChanged ? Buffer.from(JSON.stringify(ctx.json)) : ctx.body;
    const baseHeaders = { ...ctx.upstreamHeaders };
    const baseQuery = [...ctx.upstreamQuery];
    const failedOver = new Set<string>();
    let retries = 0;

    for (;;) {
      const attempt = this.select(ctx, failedOver);
      const base = normaliseBase(attempt.target.url);
      ctx.targetBaseUrl = base;
      if (ctx.route !== 'service') {
        ctx.credentialId = attempt.target.credentialId !== undefined ? attempt.target.credentialId : token.credentialId;
        if (ctx.targetOverride?.credentialId !== undefined) ctx.credentialId = ctx.targetOverride.credentialId;
      }
      // Each attempt starts from the headers the pre-stages produced (credentials differ per target).
      for (const key of Object.keys(ctx.upstreamHeaders)) delete ctx.upstreamHeaders[key];
      Object.assign(ctx.upstreamHeaders, baseHeaders);
      ctx.upstreamQuery.length = 0;
      ctx.upstreamQuery.push(...baseQuery);
      try {
        for (const stage of this.attemptStages) await stage.run(ctx);
      } catch (error) {
        if (attempt.probe) this.breakers.release(token.id, base);
        throw error;
      }
      const target = this.targetOf(ctx, base);
      ctx.upstreamUrl = target.origin + target.pathname;
      const headers = this.upstreamHeaders(ctx);
      if (body) headers['content-length'] = String(body.length);
      ctx.attempts += 1;
      const sentAt = process.hrtime.bigint();
      let upstream: UpstreamResponse | undefined;
      let failure: unknown;
      if (!cancel.cancelled) {
        const call = this.client.call({
          origin: target.origin,
          path: target.pathname + target.search,
          method: ctx.method as Dispatcher.HttpMethod,
          headers,
          body: body ?? null,
          headersTimeout: this.config.upstreamTimeoutMs,
          bodyTimeout: ctx.streaming ? this.config.streamIdleTimeoutMs : this.config.upstreamTimeoutMs,
          stream: ctx.streaming,
          maxBufferedBytes: MAX_BUFFERED_RESPONSE,
        });
        cancel.current = call;
        try {
          upstream = await call.response;
        } catch (error) {
          failure = error;
        }
        cancel.current = undefined;
      }
      if (cancel.cancelled) {
        ctx.upstreamMs += msSince(sentAt);
        if (upstream?.stream) upstream.stream.destroy();
        if (attempt.probe) this.breakers.release(token.id, base);
        ctx.status = 499;
        return;
      }
      if (failure !== undefined) {
        ctx.upstreamMs += msSince(sentAt);
        ctx.cbState = this.breakers.record(token, base, cb, 'failure', attempt.probe);
        const afterHeaders = (failure as Record<symbol, unknown>)[AFTER_HEADERS] === true;
        if (!afterHeaders && isConnectError(failure) && this.hasOtherTarget(ctx, failedOver, base)) {
          failedOver.add(attempt.target.url);
          continue; // nothing reached the upstream: fail over at once
        }
        if (retriesApply && retries < retry.max_retries) {
          retries += 1;
          await delay(backoffMs(retry, retries, undefined), cancel);
          continue;
        }
        const phase = afterHeaders ? 'response' : 'request';
        throw isTimeout(failure)
          ? new GatewayError(ErrorCode.UpstreamTimeout, `Upstream did not answer within ${this.config.upstreamTimeoutMs / 1000} s`)
          : new GatewayError(ErrorCode.UpstreamFailed, `Upstream ${phase} failed: ${errorCode(failure) ?? 'connection error'}`);
      }
      upstream = upstream as UpstreamResponse;
      if (upstream.stream) {
        ctx.upstreamMs += msSince(sentAt);
        ctx.cbState = this.breakers.record(token, base, cb, outcomeOf(upstream.statusCode), attempt.probe);
        ctx.upstreamStatus = upstream.statusCode;
        return this.relayStream(ctx, res, upstream, upstream.stream, sentAt);
      }
      const buffered = upstream.body ?? EMPTY;
      ctx.upstreamMs += msSince(sentAt);
      ctx.cbState = this.breakers.record(token, base, cb, outcomeOf(upstream.statusCode), attempt.probe);
      ctx.upstreamStatus = upstream.statusCode;
      const retryable = retry.status_codes.includes(upstream.statusCode);
      if (retryable && retriesApply && retries < retry.max_retries) {
        retries += 1;
        const retryAfter = headerValue(upstream.headers['retry-after']);
        await delay(backoffMs(retry, retries, retryAfter), cancel);
        continue;
      }
      if (retryable && !retriesApply && retries === 0 && !ctx.streaming) {
        ctx.warnings.push('retries skipped: non-idempotent request without Idempotency-Key');
      }
      return this.sendBuffered(ctx, res, upstream, buffered);
    }
  }

  private hasOtherTarget(ctx: ProxyContext, failedOver: Set<string>, current: string): boolean {
    if (ctx.route === 'service' || ctx.targetOverride?.url) return false;
    return requireToken(ctx).upstreams.some((t) => normaliseBase(t.url) !== current && !failedOver.has(t.url));
  }

  /** Upstream headers (already filtered) over the gateway's base headers, then the gateway's own and the stages'. */
  private responseHeaders(ctx: ProxyContext, upstream: Record<string, string | string[]>): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = this.baseHeaders(ctx.requestId, ctx.header('origin'));
    for (const name in upstream) if (!PROTECTED_RESPONSE_HEADERS.has(name)) headers[name] = upstream[name];
    if (ctx.upstreamUrl) headers['x-ailink-upstream'] = ctx.upstreamUrl;
    if (ctx.cbState) headers['x-ailink-cb-state'] = ctx.cbState;
    if (ctx.warnings.length) headers['x-ailink-warning'] = ctx.warnings.join('; ');
    Object.assign(headers, ctx.clientHeaders);
    return headers;
  }

  private overheadMs(ctx: ProxyContext): string {
    return Math.max(0, ctx.elapsedMs() - ctx.upstreamMs - ctx.deliberateWaitMs).toFixed(3);
  }

  /**
   * Sends a buffered upstream response after the response stages (post phase) ran on it; a stage's
   * GatewayError propagates and answers instead. `streamed`: the collected SSE text of a stream a
   * stage asked to buffer, replayed with the streaming headers.
   */
  private async sendBuffered(
    ctx: ProxyContext,
    res: ServerResponse,
    upstream: UpstreamResponse,
    body: Buffer,
    streamed = false,
  ): Promise<void> {
    const type = headerValue(upstream.headers['content-type']) ?? '';
    if (type.includes('json') && body.length > 0 && body.length < 8 * 1024 * 1024) {
      try {
        const parsed = JSON.parse(body.toString('utf8')) as {
          usage?: ProxyContext['usage'];
          model?: string;
          choices?: { finish_reason?: string }[];
        };
        if (parsed && typeof parsed === 'object') {
          if (parsed.usage) ctx.usage = parsed.usage;
          if (typeof parsed.model === 'string') ctx.model = parsed.model;
          const finish = parsed.choices?.[0]?.finish_reason;
          if (finish) ctx.finishReason = finish;
        }
      } catch {
        /* upstream said JSON but sent something else: relayed as is */
      }
    }
    const forwarded = forwardableResponseHeaders(upstream.headers);
    if (this.responseStages.length > 0) {
      const response: BufferedProxyResponse = { status: upstream.statusCode, headers: forwarded, body };
      for (const stage of this.responseStages) if (stage.onResponse) await stage.onResponse(ctx, response);
      body = response.body;
    }
    ctx.responseBody = body;
    ctx.status = upstream.statusCode;
    ctx.responseHeaders = flatten(forwarded);
    const headers = this.responseHeaders(ctx, forwarded);
    if (streamed) {
      headers['content-type'] = headerValue(upstream.headers['content-type']) ?? 'text/event-stream';
      headers['cache-control'] = 'no-cache';
      headers['x-accel-buffering'] = 'no';
    }
    if (upstream.statusCode >= 400) headers['cache-control'] = 'no-store';
    headers['content-length'] = String(body.length);
    headers['x-ailink-overhead-ms'] = this.overheadMs(ctx);
    if (res.destroyed) return;
    res.writeHead(upstream.statusCode, headers);
    res.end(body);
  }

  /**
   * Relays a streamed 2xx response event by event. Response stages are asked first: one may rewrite
   * the relayed events, or have the whole stream collected and sent as a buffered response.
   */
  private async relayStream(
    ctx: ProxyContext,
    res: ServerResponse,
    upstream: UpstreamResponse,
    stream: Readable,
    sentAt: bigint,
  ): Promise<void> {
    const forwarded = forwardableResponseHeaders(upstream.headers);
    ctx.status = upstream.statusCode;
    ctx.responseHeaders = flatten(forwarded);
    const transforms: SseEventTransform[] = [];
    let buffer = false;
    try {
      for (const stage of this.responseStages) {
        const mode = stage.onStream ? await stage.onStream(ctx) : undefined;
        if (mode === 'buffer') buffer = true;
        else if (mode) transforms.push(mode);
      }
    } catch (error) {
      stream.destroy();
      throw error;
    }
    const relay = new SseRelay(ctx.injectedUsage === true, buffer ? [] : transforms);
    relay.on('error', (error: Error) => {
      // A response stage's transform failed: the stream cannot go on.
      this.logger.error({ err: error, request_id: ctx.requestId }, 'Relaying a stream failed');
      stream.destroy();
      if (!buffer) res.destroy();
    });
    let failed = false;
    stream.on('error', (error: Error) => {
      failed = true;
      const reason = isTimeout(error) ? 'idle timeout' : (errorCode(error) ?? error.message);
      ctx.error = new GatewayError(ErrorCode.UpstreamFailed, `upstream connection lost: ${reason}`);
      relay.fail(`data: ${JSON.stringify({ error: { message: `upstream connection lost: ${reason}`, type: 'stream_error' } })}\n\n`);
    });
    relay.on('end', () => {
      ctx.usage = relay.seen.usage ?? ctx.usage;
      ctx.model = relay.seen.model ?? ctx.model;
      ctx.finishReason = relay.seen.finishReason ?? ctx.finishReason;
      ctx.relayedChars = relay.seen.relayedChars;
      if (relay.seen.firstByteAt !== undefined) ctx.ttfbMs = Number(relay.seen.firstByteAt - sentAt) / 1e6;
      ctx.streamFailed = failed;
    });
    ctx.streamDone = new Promise<void>((resolve) => {
      relay.once('end', () => resolve());
      relay.once('close', () => resolve());
      res.once('close', () => resolve());
    });
    stream.pipe(relay);
    if (buffer) {
      // Collecting the stream is waiting for the upstream: upstream time, not gateway overhead (proxy.md §16).
      const collecting = process.hrtime.bigint();
      const collected = await collectStream(relay, res, stream);
      ctx.upstreamMs += msSince(collecting);
      if (failed && ctx.error) throw ctx.error;
      return this.sendBuffered(ctx, res, upstream, collected, true);
    }
    const headers = this.responseHeaders(ctx, forwarded);
    headers['content-type'] = headerValue(upstream.headers['content-type']) ?? 'text/event-stream';
    headers['cache-control'] = 'no-cache';
    headers['x-accel-buffering'] = 'no';
    headers['x-ailink-overhead-ms'] = this.overheadMs(ctx);
    if (res.destroyed) {
      stream.destroy();
      return;
    }
    res.writeHead(upstream.statusCode, headers);
    relay.pipe(res);
  }

  /** A stage's own answer (e.g. 202 for an `async` approval): nothing was forwarded. */
  private sendAnswer(ctx: ProxyContext, res: ServerResponse, answer: NonNullable<ProxyContext['answer']>): void {
    ctx.status = answer.status;
    if (res.headersSent || res.destroyed) return;
    const headers = this.responseHeaders(ctx, {});
    Object.assign(headers, answer.headers ?? {});
    headers['cache-control'] = 'no-store';
    headers['x-ailink-overhead-ms'] = this.overheadMs(ctx);
    writeJson(res, answer.status, headers, answer.body);
  }

  private sendError(ctx: ProxyContext, res: ServerResponse, error: unknown): void {
    const response = toErrorResponse(error, ctx.requestId);
    if (response.unexpected) this.logger.error({ err: error, request_id: ctx.requestId }, 'Proxy request failed unexpectedly');
    ctx.error = error instanceof GatewayError ? error : new GatewayError(ErrorCode.InternalServerError, 'Internal server error');
    ctx.status = response.status;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const headers = this.responseHeaders(ctx, {});
    Object.assign(headers, response.headers);
    headers['cache-control'] = 'no-store';
    headers['x-ailink-overhead-ms'] = this.overheadMs(ctx);
    writeJson(res, response.status, headers, response.body);
  }
}

/** Headers of the gateway's own that an upstream cannot override. */
const PROTECTED_RESPONSE_HEADERS = new Set(['x-request-id', 'x-ailink-overhead-ms', 'x-ailink-upstream', 'x-ailink-cb-state']);

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function writeJson(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(payload.length);
  res.writeHead(status, headers);
  res.end(payload);
}

/**
 * The request body as one Buffer (undefined when empty), bounded: a declared or actual size above
 * `limit` → 413 `payload_too_large` without buffering the rest.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const tooLarge = (): GatewayError => new GatewayError(ErrorCode.PayloadTooLarge, 'Request body is larger than the configured limit');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  if (declared === 0 || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (failed) return;
      if (size === 0) resolve(undefined);
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.once('error', (error) => {
      if (!failed) {
        failed = true;
        reject(Object.assign(error, { statusCode: 400 }));
      }
    });
  });
}

/**
 * A relayed stream collected whole (bounded like buffered responses); the client going away stops
 * the upstream stream and fails the collection.
 */
function collectStream(relay: SseRelay, res: ServerResponse, upstream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const gone = (): void => {
      if (res.writableFinished) return;
      upstream.destroy();
      reject(new GatewayError(ErrorCode.UpstreamFailed, 'client disconnected'));
    };
    res.once('close', gone);
    relay.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUFFERED_RESPONSE) {
        upstream.destroy();
        reject(new GatewayError(ErrorCode.UpstreamFailed, 'Upstream response is larger than the gateway buffers'));
        return;
      }
      chunks.push(chunk);
    });
    relay.once('end', () => {
      res.off('close', gone);
      resolve(Buffer.concat(chunks, size));
    });
    relay.once('error', (error) => {
      res.off('close', gone);
      reject(error);
    });
  });
}

function requireToken(ctx: ProxyContext): ProxyToken {
  if (!ctx.token) throw new GatewayError(ErrorCode.TokenNotFound, 'Invalid or expired virtual token');
  return ctx.token;
}

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function flatten(headers: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** The client went away: the upstream call in flight is aborted and no further attempt starts. */
class Cancellation {
  cancelled = false;
  current?: UpstreamCall;
  private wake?: () => void;

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.current?.abort(new Error('client disconnected'));
    this.wake?.();
  }

  /** Resolves after `ms`, or at once when cancelled. */
  sleep(ms: number): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

const EMPTY = Buffer.alloc(0);
/** Path characters the WHATWG URL parser leaves untouched. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

function delay(ms: number, cancel: Cancellation): Promise<void> {
  return cancel.sleep(ms);
}
