import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pino from 'pino';
import { AppConfig, ErrorCode, GatewayError } from '@ailink/gateway-core';
import { DEFAULT_CIRCUIT_BREAKER } from './circuit-breaker';
import type { ProxyContext, ProxyToken } from './proxy-context';
import { ProxyHandler } from './proxy-handler';
import type { ProxyResponseStage, ProxyStage } from './proxy-stage';
import type { SseEventTransform } from './sse-relay';
import { UpstreamClient } from './upstream-client';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

class Upstream {
  server!: Server;
  port = 0;
  seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  queue: Handler[] = [];
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.seen.push({ url: req.url ?? '', headers: req.headers, body });
        const handler =
          this.queue.shift() ?? ((_q, r) => r.writeHead(200, { 'content-type': 'application/json' }).end(`{"from":${this.port}}`));
        handler(req, res, body);
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

const config = { upstreamTimeoutMs: 2000, upstreamConnectTimeoutMs: 500, streamIdleTimeoutMs: 2000 } as AppConfig;

const sse =
  (events: unknown[]): Handler =>
  (_q, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-upstream': 'yes' });
    for (const e of events) res.write(`data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`);
    res.end();
  };

/**
 * The proxy's extension points for the post phase and for routing (the policies feature plugs in
 * here): response stages on buffered responses, per-event stream transforms, buffered streams, the
 * routing target override and transform header removals.
 */
describe('ProxyHandler response stages and routing hooks', () => {
  const up = new Upstream();
  const other = new Upstream();
  let app: Server;
  let base: string;
  let client: UpstreamClient;
  let token: ProxyToken;
  let before: (ctx: ProxyContext) => void;
  let stage: ProxyResponseStage;
  const completed: ProxyContext[] = [];

  const tokenStage: ProxyStage = {
    name: 'test-token',
    run(ctx) {
      ctx.token = token;
      ctx.tokenCarrier = 'authorization';
      before(ctx);
    },
  };
  const delegate: ProxyResponseStage = {
    name: 'test-post',
    onResponse: (ctx, response) => stage.onResponse?.(ctx, response),
    onStream: (ctx) => stage.onStream?.(ctx),
  };

  beforeAll(async () => {
    await up.start();
    await other.start();
    client = new UpstreamClient(config);
    const handler = new ProxyHandler(config, client, pino({ level: 'silent' }));
    handler.configure(
      [tokenStage],
      [
        {
          name: 'credential',
          run: (ctx) => {
            if (!ctx.credentialId) return;
            if (ctx.credentialId === 'header-cred') {
              ctx.credential = { id: 'header-cred', mode: 'header', header: 'x-api-key', secret: Buffer.from('k') };
              ctx.upstreamHeaders['x-api-key'] = 'key-in-header';
            } else ctx.upstreamHeaders['authorization'] = `Bearer key-of-${ctx.credentialId}`;
          },
        },
      ],
      [{ name: 'collect', complete: (ctx) => void completed.push(ctx) }],
      [delegate],
    );
    app = createServer((req, res) => handler.serve(req, res, 'catch_all'));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    app.closeAllConnections();
    await new Promise<void>((r) => app.close(() => r()));
    await client.onApplicationShutdown();
    await up.stop();
    await other.stop();
  });
  beforeEach(() => {
    up.seen = [];
    up.queue = [];
    other.seen = [];
    completed.length = 0;
    before = () => undefined;
    stage = { name: 'noop' };
    token = {
      id: 'tok_' + 'e'.repeat(24),
      projectId: '00000000-0000-0000-0000-000000000001',
      name: 't',
      credentialId: 'token-cred',
      upstreams: [{ url: up.url, weight: 100, priority: 1 }],
      policyIds: [],
      logLevel: 1,
      circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER },
      tags: {},
      teamId: null,
    };
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer ailink_v1_x', 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('runs response stages on a buffered response before it is sent: body and headers', async () => {
    stage = {
      name: 's',
      onResponse: (_ctx, response) => {
        expect(response.status).toBe(200);
        response.body = Buffer.from(response.body.toString().replace('from', 'seen'));
        response.headers['x-post'] = 'done';
      },
    };
    const r = await post('/v1/x', {});
    expect(r.headers.get('x-post')).toBe('done');
    const text = await r.text();
    expect(text).toBe(`{"seen":${up.port}}`);
    expect(r.headers.get('content-length')).toBe(String(text.length));
    await new Promise((res) => setTimeout(res, 20));
    expect(completed[0].responseBody?.toString()).toBe(text);
    expect(completed[0].responseHeaders?.['x-post']).toBe('done');
  });

  it('a response stage that throws answers with its error instead of the upstream response', async () => {
    stage = {
      name: 's',
      onResponse: () => {
        throw new GatewayError(ErrorCode.PolicyDenied, 'Request blocked by policy: post');
      },
    };
    const r = await post('/v1/x', {});
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe('policy_denied');
    await new Promise((res) => setTimeout(res, 20));
    expect(completed[0].error?.code).toBe(ErrorCode.PolicyDenied);
  });

  it('streams: a transform rewrites the relayed events and may add text at the end', async () => {
    up.queue.push(sse([{ choices: [{ index: 0, delta: { content: 'secret' } }] }, '[DONE]']));
    let ended: boolean | undefined;
    const transform: SseEventTransform = {
      events: (text) => text.replace('secret', '******'),
      end: async (failed) => {
        ended = failed;
        return ': guarded\n\n';
      },
    };
    stage = { name: 's', onStream: () => transform };
    const r = await post('/v1/chat/completions', { stream: true });
    const text = await r.text();
    expect(text).toContain('******');
    expect(text).not.toContain('secret');
    expect(text.endsWith('data: [DONE]\n\n: guarded\n\n')).toBe(true);
    expect(ended).toBe(false);
  });

  it('streams: a broken stream ends the transforms as failed, then relays the error event', async () => {
    up.queue.push((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"index":0,"delta":{"content":"par"}}]}\n\n');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    let ended: boolean | undefined;
    stage = { name: 's', onStream: () => ({ events: (t) => t, end: (failed) => ((ended = failed), 'data: {"flushed":true}\n\n') }) };
    const text = await (await post('/v1/chat/completions', { stream: true })).text();
    expect(ended).toBe(true);
    expect(text.indexOf('"flushed"')).toBeLessThan(text.indexOf('stream_error'));
  });

  it('streams: a transform that throws ends the client connection, and the gateway goes on', async () => {
    up.queue.push(sse([{ choices: [{ index: 0, delta: { content: 'x' } }] }, '[DONE]']));
    stage = {
      name: 's',
      onStream: () => ({
        events: () => {
          throw new Error('guard broke');
        },
        end: () => '',
      }),
    };
    // The connection ends before or during the body (the headers may not have left yet).
    await expect(post('/v1/chat/completions', { stream: true }).then((r) => r.text())).rejects.toThrow();
    stage = { name: 'noop' };
    expect((await post('/v1/x', {})).status).toBe(200);
  });

  it('streams: "buffer" collects the whole stream and hands it to onResponse, then sends it with streaming headers', async () => {
    up.queue.push(
      sse([{ choices: [{ index: 0, delta: { content: 'a' } }] }, { choices: [{ index: 0, delta: { content: 'b' } }] }, '[DONE]']),
    );
    let seenBody = '';
    stage = {
      name: 's',
      onStream: () => 'buffer',
      onResponse: (_ctx, response) => {
        seenBody = response.body.toString();
        response.body = Buffer.from('data: {"replayed":true}\n\ndata: [DONE]\n\n');
      },
    };
    const r = await post('/v1/chat/completions', { stream: true });
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('x-upstream')).toBe('yes');
    expect(await r.text()).toBe('data: {"replayed":true}\n\ndata: [DONE]\n\n');
    expect(seenBody).toContain('"a"');
    expect(seenBody).toContain('"b"');
  });

  it('streams: a buffered stream can still be refused with a proper error response', async () => {
    up.queue.push(sse([{ choices: [{ index: 0, delta: { content: 'x' } }] }, '[DONE]']));
    stage = {
      name: 's',
      onStream: () => 'buffer',
      onResponse: () => {
        throw new GatewayError(ErrorCode.ContentBlocked, 'blocked');
      },
    };
    const r = await post('/v1/chat/completions', { stream: true });
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe('content_blocked');
  });

  it('a target override replaces the token’s upstreams and may replace the credential', async () => {
    before = (ctx) => (ctx.targetOverride = { url: other.url + '/', credentialId: 'routed-cred' });
    const r = await post('/v1/x', {});
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ailink-upstream')).toBe(`${other.url}/v1/x`);
    expect(up.seen).toHaveLength(0);
    expect(other.seen[0].headers['authorization']).toBe('Bearer key-of-routed-cred');

    before = (ctx) => (ctx.targetOverride = { credentialId: null });
    await post('/v1/x', {});
    expect(up.seen[0].headers['authorization']).toBeUndefined();
  });

  it('headers a transform removed are absent upstream, with no default in their place', async () => {
    token.credentialId = 'header-cred';
    before = (ctx) => {
      ctx.removedUpstreamHeaders = new Set(['user-agent', 'x-debug', 'x-api-key']);
      ctx.upstreamHeaders['x-added'] = '1';
    };
    await post('/v1/x', {}, { 'x-debug': '1', 'user-agent': 'client/1' });
    const seen = up.seen[0].headers;
    expect(seen['x-debug']).toBeUndefined();
    expect(seen['user-agent']).toBeUndefined();
    expect(seen['x-added']).toBe('1');
    // …except the credential the gateway injects.
    expect(seen['x-api-key']).toBe('key-in-header');
  });
});
