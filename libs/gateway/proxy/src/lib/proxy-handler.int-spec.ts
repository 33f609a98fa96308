import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pino from 'pino';
import { request as undiciRequest } from 'undici';
import { AppConfig, ErrorCode, GatewayError } from '@ailink/gateway-core';
import { freePort } from '@ailink/testing';
import { DEFAULT_CIRCUIT_BREAKER } from './circuit-breaker';
import type { ProxyContext, ProxyToken, UpstreamTarget } from './proxy-context';
import { ProxyHandler } from './proxy-handler';
import type { ProxyCompletionHook, ProxyStage } from './proxy-stage';
import { UpstreamClient } from './upstream-client';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A scriptable local upstream: each test queues how the next requests are answered. */
class Upstream {
  server!: Server;
  port = 0;
  seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  queue: Handler[] = [];
  fallback: Handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  closed = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.on('close', () => this.closed++);
        (this.queue.shift() ?? this.fallback)(req, res, body);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const config = {
  upstreamTimeoutMs: 400,
  upstreamConnectTimeoutMs: 500,
  streamIdleTimeoutMs: 400,
} as AppConfig;

function token(upstreams: UpstreamTarget[], overrides: Partial<ProxyToken> = {}): ProxyToken {
  return {
    id: 'tok_' + 'a'.repeat(24),
    projectId: '00000000-0000-0000-0000-000000000001',
    name: 't',
    credentialId: null,
    upstreams,
    policyIds: [],
    logLevel: 1,
    circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, recovery_cooldown_secs: 1 },
    tags: {},
    teamId: null,
    ...overrides,
  };
}

describe('ProxyHandler against local upstreams', () => {
  const up = new Upstream();
  const up2 = new Upstream();
  let app: Server;
  let base: string;
  let current: ProxyToken;
  const completed: ProxyContext[] = [];
  const fastRetry = { max_retries: 2, base_backoff_ms: 10, max_backoff_ms: 2000, jitter_ms: 0, status_codes: [429, 500, 502, 503, 504] };
  let retryOverride: typeof fastRetry | undefined;
  let client: UpstreamClient;

  const tokenStage: ProxyStage = {
    name: 'test-token',
    run(ctx) {
      if (ctx.header('authorization') !== 'Bearer ailink_v1_test')
        throw new GatewayError(ErrorCode.TokenNotFound, 'Invalid or expired virtual token');
      ctx.token = current;
      ctx.tokenCarrier = 'authorization';
      if (retryOverride) ctx.retry = retryOverride;
    },
  };
  const credentialStage: ProxyStage = {
    name: 'test-credential',
    run(ctx) {
      if (ctx.credentialId === null) {
        const real = ctx.header('x-real-authorization');
        if (real) ctx.upstreamHeaders['authorization'] = real;
      } else ctx.upstreamHeaders['authorization'] = `Bearer sk-real-for-${ctx.credentialId}`;
    },
  };
  const audit: ProxyCompletionHook = { name: 'test-audit', complete: (ctx) => void completed.push(ctx) };

  beforeAll(async () => {
    await up.start();
    await up2.start();
    client = new UpstreamClient(config);
    const handler = new ProxyHandler(config, client, pino({ level: 'silent' }));
    handler.configure([tokenStage], [credentialStage], [audit]);
    app = createServer((req, res) => handler.serve(req, res, 'catch_all'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    app.closeAllConnections();
    await new Promise<void>((r) => app.close(() => r()));
    await client.onApplicationShutdown();
    await up.stop();
    await up2.stop();
  });
  beforeEach(() => {
    up.seen = [];
    up.queue = [];
    up2.seen = [];
    up2.queue = [];
    completed.length = 0;
    retryOverride = fastRetry;
    current = token([{ url: up.url, weight: 100, priority: 1, credentialId: 'cred-1' }]);
  });

  const call = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: 'Bearer ailink_v1_test', ...(init.headers ?? {}) } });

  it('forwards method, path, query and body; swaps the virtual token for the real key; filters headers', async () => {
    const r = await call('/v1/things/1?x=1&y=2', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ailink-agent-name': 'bot',
        'x-custom': 'kept',
        cookie: 'c=1',
        'x-admin-key': 'adm',
      },
      body: '{"hello":"world"}',
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ailink-overhead-ms')).toMatch(/^\d+\.\d{3}$/);
    expect(r.headers.get('x-ailink-upstream')).toBe(`${up.url}/v1/things/1`);
    expect(r.headers.get('x-ailink-cb-state')).toBe('closed');
    const seen = up.seen[0];
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/v1/things/1?x=1&y=2');
    expect(seen.body).toBe('{"hello":"world"}');
    expect(seen.headers['authorization']).toBe('Bearer sk-real-for-cred-1');
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers['x-request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    expect(seen.headers['traceparent']).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    for (const h of ['x-ailink-agent-name', 'cookie', 'x-admin-key']) expect(seen.headers[h]).toBeUndefined();
    expect(JSON.stringify(seen.headers)).not.toContain('ailink_v1_test');
  });

  it('answers 401 token_not_found before contacting any upstream', async () => {
    const r = await fetch(`${base}/v1/models`, { headers: { authorization: 'Bearer nope' } });
    expect(r.status).toBe(401);
    expect((await r.json()).error.code).toBe('token_not_found');
    expect(r.headers.get('x-ailink-overhead-ms')).not.toBeNull();
    expect(up.seen).toHaveLength(0);
  });

  it('uses passthrough auth when the target has no credential', async () => {
    current = token([{ url: up.url, weight: 100, priority: 1, credentialId: null }]);
    await call('/v1/models', { headers: { 'x-real-authorization': 'Bearer user-own-key' } });
    expect(up.seen[0].headers['authorization']).toBe('Bearer user-own-key');
    expect(up.seen[0].headers['x-real-authorization']).toBeUndefined();
  });

  it('retries an idempotent request after 503 and returns the later success', async () => {
    up.queue.push((_q, res) => res.writeHead(503).end('busy'));
    const r = await call('/v1/models');
    expect(r.status).toBe(200);
    expect(up.seen).toHaveLength(2);
  });

  it('honours Retry-After between attempts', async () => {
    up.queue.push((_q, res) => res.writeHead(429, { 'retry-after': '1' }).end());
    const t0 = Date.now();
    const r = await call('/v1/embeddings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('does not retry a non-idempotent write without an idempotency key, and says so', async () => {
    retryOverride = undefined;
    up.queue.push((_q, res) => res.writeHead(503).end('busy'));
    const r = await call('/v1/files', { method: 'POST', body: 'x' });
    expect(r.status).toBe(503);
    expect(up.seen).toHaveLength(1);
    expect(r.headers.get('x-ailink-warning')).toContain('retries skipped');
  });

  it('gives up after max_retries and relays the last upstream 5xx', async () => {
    for (let i = 0; i < 3; i++) up.queue.push((_q, res) => res.writeHead(500).end('boom'));
    const r = await call('/v1/models');
    expect(r.status).toBe(500);
    expect(await r.text()).toBe('boom');
    expect(up.seen).toHaveLength(3);
  });

  it('answers 504 upstream_timeout when the upstream is too slow', async () => {
    retryOverride = { ...fastRetry, max_retries: 0 };
    up.queue.push((_q, res) => setTimeout(() => res.writeHead(200).end('late'), 1500));
    const r = await call('/v1/models');
    expect(r.status).toBe(504);
    expect((await r.json()).error).toMatchObject({ code: 'upstream_timeout', type: 'upstream_error' });
  });

  it('answers 502 upstream_failed when the upstream is down', async () => {
    current = token([{ url: `http://127.0.0.1:${await freePort()}`, weight: 100, priority: 1 }]);
    const r = await call('/v1/models');
    expect(r.status).toBe(502);
    expect((await r.json()).error.code).toBe('upstream_failed');
  });

  it('opens the breaker after consecutive failures, fails fast, then recovers through a half-open probe', async () => {
    retryOverride = { ...fastRetry, max_retries: 0 };
    current = token([{ url: up.url, weight: 100, priority: 1 }], { id: 'tok_' + 'b'.repeat(24) });
    for (let i = 0; i < 3; i++) {
      up.queue.push((_q, res) => res.writeHead(503).end());
      expect((await call('/v1/models')).status).toBe(503);
    }
    const open = await call('/v1/models');
    expect(open.status).toBe(502);
    expect(open.headers.get('x-ailink-cb-state')).toBe('open');
    expect(Number(open.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await open.json()).error).toMatchObject({ code: 'circuit_open', details: { upstream: up.url } });
    expect(up.seen).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 1100));
    const probe = await call('/v1/models');
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-ailink-cb-state')).toBe('closed');
  });

  it('fails over to the next target at once when a connection is refused', async () => {
    current = token(
      [
        { url: `http://127.0.0.1:${await freePort()}`, weight: 100, priority: 1 },
        { url: up2.url, weight: 100, priority: 2 },
      ],
      { id: 'tok_' + 'c'.repeat(24) },
    );
    const r = await call('/v1/models');
    expect(r.status).toBe(200);
    expect(up2.seen).toHaveLength(1);
  });

  it('answers 503 all_upstreams_exhausted when every target is open', async () => {
    retryOverride = { ...fastRetry, max_retries: 0 };
    current = token(
      [
        { url: up.url, weight: 100, priority: 1 },
        { url: up2.url, weight: 100, priority: 1 },
      ],
      { id: 'tok_' + 'd'.repeat(24), circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, failure_threshold: 1, recovery_cooldown_secs: 30 } },
    );
    up.fallback = up2.fallback = (_q, res) => res.writeHead(503).end();
    try {
      await call('/v1/models');
      await call('/v1/models');
      const r = await call('/v1/models');
      expect(r.status).toBe(503);
      const body = await r.json();
      expect(body.error.code).toBe('all_upstreams_exhausted');
      expect(body.error.details.upstreams).toHaveLength(2);
    } finally {
      up.fallback = up2.fallback = (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }
  });

  it('relays SSE chunk by chunk, injects include_usage, withholds the usage chunk and records usage', async () => {
    up.queue.push((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"1","model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n');
      setTimeout(() => {
        res.write('data: {"id":"1","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n');
        res.end('data: [DONE]\n\n');
      }, 300);
    });
    const t0 = Date.now();
    const r = await undiciRequest(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer ailink_v1_test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [] }),
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/event-stream');
    expect(r.headers['x-accel-buffering']).toBe('no');
    let first: number | undefined;
    let text = '';
    for await (const chunk of r.body) {
      first ??= Date.now() - t0;
      text += chunk.toString();
    }
    expect(first).toBeLessThan(250); // the first event arrived before the upstream finished
    expect(text).toContain('"Hi"');
    expect(text).toContain('[DONE]');
    expect(text).not.toContain('"usage"');
    expect(JSON.parse(up.seen[0].body).stream_options).toEqual({ include_usage: true });
    await new Promise((res) => setTimeout(res, 20));
    expect(completed[0].usage).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
    expect(completed[0].ttfbMs).toBeGreaterThanOrEqual(0);
  });

  it('ends a broken stream with an error event and no [DONE]', async () => {
    up.queue.push((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"par"}}]}\n\n');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const r = await call('/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"stream":true}',
    });
    const text = await r.text();
    expect(text).toContain('"par"');
    expect(text).toContain('"type":"stream_error"');
    expect(text).toContain('upstream connection lost');
    expect(text).not.toContain('[DONE]');
  });

  it('aborts the upstream request when the client disconnects', async () => {
    up.queue.push((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[]}\n\n');
      // never ends on its own
    });
    const controller = new AbortController();
    const r = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer ailink_v1_test', 'content-type': 'application/json' },
      body: '{"stream":true}',
      signal: controller.signal,
    });
    const reader = r.body!.getReader();
    await reader.read();
    const closedBefore = up.closed;
    controller.abort();
    const deadline = Date.now() + 2000;
    while (up.closed === closedBefore && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(up.closed).toBeGreaterThan(closedBefore);
  });
});
