import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { AppConfig, ErrorCode, GatewayError, LOGGER, toErrorResponse } from '@ailink/gateway-core';
import { CircuitBreakers, outcomeOf, type BreakerState } from './circuit-breaker';
import { forwardableRequestHeaders, forwardableResponseHeaders } from './header-rules';
import { ProxyContext, type ProxyRoute, type ProxyToken, type UpstreamTarget } from './proxy-context';
import type { ProxyCompletionHook, ProxyStage } from './proxy-stage';
import { DEFAULT_RETRY, backoffMs, defaultRetryApplies, type RetryConfig } from './retry-policy';
import { SseRelay } from './sse-relay';
import { UpstreamClient, errorCode, isConnectError, isTimeout } from './upstream-client';
import { WeightedRoundRobin, normaliseBase, priorityTiers } from './upstream-selector';

const USER_AGENT = 'AILink-Gateway/1.0';
/** Non-streaming responses are buffered (usage, audit) up to this size; larger ones fail the request. */
const MAX_BUFFERED_RESPONSE = 64 * 1024 * 1024;

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
  readonly breakers = new CircuitBreakers();
  private readonly rr = new WeightedRoundRobin();

  constructor(
    private readonly config: AppConfig,
    private readonly client: UpstreamClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Set once at boot by ProxyModule from the app's ordered list. */
  configure(stages: ProxyStage[], attemptStages: ProxyStage[], completions: ProxyCompletionHook[]): void {
    this.stages = stages;
    this.attemptStages = attemptStages;
    this.completions = completions;
  }

  get stageNames(): { stages: string[]; attempt: string[]; completion: string[] } {
    return {
      stages: this.stages.map((s) => s.name),
      attempt: this.attemptStages.map((s) => s.name),
      completion: this.completions.map((c) => c.name),
    };
  }

  async handle(
    request: FastifyRequest,
    reply: FastifyReply,
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
    const abort = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
    });
    try {
      for (const stage of this.stages) await stage.run(ctx);
      if (!ctx.token) throw new GatewayError(ErrorCode.TokenNotFound, 'Invalid or expired virtual token');
      this.prepareStreaming(ctx);
      await this.forward(ctx, reply, abort.signal);
    } catch (error) {
      this.sendError(ctx, reply, error);
    } finally {
      if (ctx.credential) ctx.credential.secret.fill(0);
      // Completion hooks (audit, …) run once the response is over: for a stream, when it ends.
      if (this.completions.length) void (ctx.streamDone ?? Promise.resolve()).then(() => setImmediate(() => void this.complete(ctx)));
    }
    return reply;
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
        this.logger.error({ err: error, hook: hook.name }, 'Proxy completion hook failed');
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

  private buildUrl(ctx: ProxyContext, base: string): URL {
    const url = new URL(normaliseBase(base));
    let path = ctx.upstreamPath;
    if (url.pathname.endsWith('/v1') && path.startsWith('/v1/')) path = path.slice(3);
    url.pathname = (url.pathname === '/' ? '' : url.pathname) + path;
    let query = ctx.query;
    if (ctx.tokenCarrier === 'query:key') {
      const params = new URLSearchParams(query.slice(1));
      params.delete('key');
      query = params.size ? '?' + params.toString() : '';
    }
    url.search = query;
    for (const [k, v] of ctx.upstreamQuery) url.searchParams.append(k, v);
    return url;
  }

  private upstreamHeaders(ctx: ProxyContext): Record<string, string> {
    const headers = forwardableRequestHeaders(ctx.headers, ctx.tokenCarrier);
    headers['x-request-id'] = ctx.requestId;
    headers['user-agent'] = ctx.header('user-agent') ?? USER_AGENT;
    const incoming = ctx.header('traceparent');
    const traceId = incoming && /^00-[0-9a-f]{32}-/.test(incoming) ? incoming.slice(3, 35) : ctx.requestId.slice(4);
    headers['traceparent'] = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    Object.assign(headers, ctx.upstreamHeaders);
    return headers;
  }

  private async forward(ctx: ProxyContext, reply: FastifyReply, signal: AbortSignal): Promise<void> {
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
      if (ctx.route !== 'service')
        ctx.credentialId = attempt.target.credentialId !== undefined ? attempt.target.credentialId : token.credentialId;
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
      const url = this.buildUrl(ctx, base);
      ctx.upstreamUrl = url.origin + url.pathname;
      const headers = this.upstreamHeaders(ctx);
      if (body) headers['content-length'] = String(body.length);
      ctx.attempts += 1;
      const sentAt = process.hrtime.bigint();
      let response: Dispatcher.ResponseData | undefined;
      let failure: unknown;
      try {
        response = await this.client.request({
          origin: url.origin,
          path: url.pathname + url.search,
          method: ctx.method as Dispatcher.HttpMethod,
          headers,
          body: body ?? null,
          signal,
          headersTimeout: this.config.upstreamTimeoutMs,
          bodyTimeout: ctx.streaming ? this.config.streamIdleTimeoutMs : this.config.upstreamTimeoutMs,
        });
      } catch (error) {
        failure = error;
      }
      if (signal.aborted) {
        ctx.upstreamMs += msSince(sentAt);
        if (attempt.probe) this.breakers.release(token.id, base);
        ctx.status = 499;
        return;
      }
      if (failure !== undefined) {
        ctx.upstreamMs += msSince(sentAt);
        ctx.cbState = this.breakers.record(token.id, base, cb, 'failure', attempt.probe);
        if (isConnectError(failure) && this.hasOtherTarget(ctx, failedOver, base)) {
          failedOver.add(attempt.target.url);
          continue; // nothing reached the upstream: fail over at once
        }
        if (retriesApply && retries < retry.max_retries) {
          retries += 1;
          await delay(backoffMs(retry, retries, undefined), signal);
          continue;
        }
        throw isTimeout(failure)
          ? new GatewayError(ErrorCode.UpstreamTimeout, `Upstream did not answer within ${this.config.upstreamTimeoutMs / 1000} s`)
          : new GatewayError(ErrorCode.UpstreamFailed, `Upstream request failed: ${errorCode(failure) ?? 'connection error'}`);
      }
      const res = response as Dispatcher.ResponseData;
      const streamingResponse = ctx.streaming && res.statusCode >= 200 && res.statusCode < 300;
      if (streamingResponse) {
        ctx.upstreamMs += msSince(sentAt);
        ctx.cbState = this.breakers.record(token.id, base, cb, outcomeOf(res.statusCode), attempt.probe);
        ctx.upstreamStatus = res.statusCode;
        return this.relayStream(ctx, reply, res, sentAt);
      }
      let buffered: Buffer;
      try {
        buffered = await readBody(res);
      } catch (error) {
        ctx.upstreamMs += msSince(sentAt);
        ctx.cbState = this.breakers.record(token.id, base, cb, 'failure', attempt.probe);
        if (signal.aborted) {
          ctx.status = 499;
          return;
        }
        if (retriesApply && retries < retry.max_retries) {
          retries += 1;
          await delay(backoffMs(retry, retries, undefined), signal);
          continue;
        }
        throw isTimeout(error)
          ? new GatewayError(ErrorCode.UpstreamTimeout, `Upstream did not answer within ${this.config.upstreamTimeoutMs / 1000} s`)
          : new GatewayError(ErrorCode.UpstreamFailed, `Upstream response failed: ${errorCode(error) ?? 'connection error'}`);
      }
      ctx.upstreamMs += msSince(sentAt);
      ctx.cbState = this.breakers.record(token.id, base, cb, outcomeOf(res.statusCode), attempt.probe);
      ctx.upstreamStatus = res.statusCode;
      const retryable = retry.status_codes.includes(res.statusCode);
      if (retryable && retriesApply && retries < retry.max_retries) {
        retries += 1;
        const retryAfter = headerValue(res.headers['retry-after']);
        await delay(backoffMs(retry, retries, retryAfter), signal);
        continue;
      }
      if (retryable && !retriesApply && retries === 0 && !ctx.streaming) {
        ctx.warnings.push('retries skipped: non-idempotent request without Idempotency-Key');
      }
      return this.sendBuffered(ctx, reply, res, buffered);
    }
  }

  private hasOtherTarget(ctx: ProxyContext, failedOver: Set<string>, current: string): boolean {
    if (ctx.route === 'service') return false;
    return requireToken(ctx).upstreams.some((t) => normaliseBase(t.url) !== current && !failedOver.has(t.url));
  }

  private commonHeaders(ctx: ProxyContext): Record<string, string> {
    const headers: Record<string, string> = {};
    if (ctx.upstreamUrl) headers['x-ailink-upstream'] = ctx.upstreamUrl;
    if (ctx.cbState) headers['x-ailink-cb-state'] = ctx.cbState;
    if (ctx.warnings.length) headers['x-ailink-warning'] = ctx.warnings.join('; ');
    return headers;
  }

  private overheadMs(ctx: ProxyContext): string {
    return Math.max(0, ctx.elapsedMs() - ctx.upstreamMs).toFixed(3);
  }

  private sendBuffered(ctx: ProxyContext, reply: FastifyReply, res: Dispatcher.ResponseData, body: Buffer): void {
    const type = headerValue(res.headers['content-type']) ?? '';
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
    ctx.responseBody = body;
    ctx.status = res.statusCode;
    const headers = forwardableResponseHeaders(res.headers);
    ctx.responseHeaders = flatten(headers);
    reply
      .status(res.statusCode)
      .headers(headers)
      .headers(this.commonHeaders(ctx))
      .header('x-ailink-overhead-ms', this.overheadMs(ctx))
      .send(body);
  }

  private relayStream(ctx: ProxyContext, reply: FastifyReply, res: Dispatcher.ResponseData, sentAt: bigint): void {
    const relay = new SseRelay(ctx.injectedUsage === true);
    const headers = forwardableResponseHeaders(res.headers);
    ctx.status = res.statusCode;
    ctx.responseHeaders = flatten(headers);
    let failed = false;
    res.body.on('error', (error: Error) => {
      failed = true;
      const reason = isTimeout(error) ? 'idle timeout' : (errorCode(error) ?? error.message);
      ctx.error = new GatewayError(ErrorCode.UpstreamFailed, `upstream connection lost: ${reason}`);
      relay.end(`data: ${JSON.stringify({ error: { message: `upstream connection lost: ${reason}`, type: 'stream_error' } })}\n\n`);
    });
    relay.on('end', () => {
      ctx.usage = relay.seen.usage ?? ctx.usage;
      ctx.model = relay.seen.model ?? ctx.model;
      ctx.finishReason = relay.seen.finishReason ?? ctx.finishReason;
      if (relay.seen.firstByteAt !== undefined) ctx.ttfbMs = Number(relay.seen.firstByteAt - sentAt) / 1e6;
      ctx.streamFailed = failed;
    });
    ctx.streamDone = new Promise<void>((resolve) => {
      relay.once('end', () => resolve());
      relay.once('close', () => resolve());
      reply.raw.once('close', () => resolve());
    });
    res.body.pipe(relay);
    reply
      .status(res.statusCode)
      .headers(headers)
      .headers(this.commonHeaders(ctx))
      .header('content-type', headerValue(res.headers['content-type']) ?? 'text/event-stream')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no')
      .header('x-ailink-overhead-ms', this.overheadMs(ctx))
      .send(relay);
  }

  private sendError(ctx: ProxyContext, reply: FastifyReply, error: unknown): void {
    const response = toErrorResponse(error, ctx.requestId);
    if (response.unexpected) this.logger.error({ err: error }, 'Proxy request failed unexpectedly');
    ctx.error = error instanceof GatewayError ? error : new GatewayError(ErrorCode.InternalServerError, 'Internal server error');
    ctx.status = response.status;
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    reply
      .status(response.status)
      .headers(this.commonHeaders(ctx))
      .headers(response.headers)
      .header('cache-control', 'no-store')
      .header('x-ailink-overhead-ms', this.overheadMs(ctx))
      .send(response.body);
  }
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

async function readBody(res: Dispatcher.ResponseData): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BUFFERED_RESPONSE) {
      res.body.destroy();
      throw Object.assign(new Error('upstream response too large'), { code: 'RESPONSE_TOO_LARGE' });
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
