import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import type { GatewayEvent } from '@ailink/shared-contracts';
import type { AppConfig } from '@ailink/gateway-core';
import { EventBus } from '@ailink/gateway-events';
import { RedisKeyValueStore } from '@ailink/gateway-redis';
import { TEST_REDIS_URL, TcpProxy, deleteRedisPrefix } from '@ailink/testing';
import { DEFAULT_CIRCUIT_BREAKER, type BreakerOpenedEvent } from './circuit-breaker';
import type { CircuitBreakerConfig, ProxyToken } from './proxy-context';
import { ProxyHandler } from './proxy-handler';
import { createCircuitBreakers } from './proxy.module';
import type { ProxyStage } from './proxy-stage';
import { SharedCircuitBreakers, sharedBreakerKey } from './shared-circuit-breakers';
import { UpstreamClient } from './upstream-client';

const PROJECT = '00000000-0000-0000-0000-000000000001';
const cb: CircuitBreakerConfig = { ...DEFAULT_CIRCUIT_BREAKER, failure_threshold: 3, recovery_cooldown_secs: 1, half_open_max_requests: 1 };

function token(n: number): { id: string; projectId: string; name: string } {
  return { id: 'tok_' + n.toString(16).padStart(24, '0'), projectId: PROJECT, name: `agent-${n}` };
}

async function until(predicate: () => boolean, what: string, timeoutMs = 2_000): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SharedCircuitBreakers: two instances on one Redis', () => {
  const prefix = `t:cbshared:${randomUUID().slice(0, 12)}:`;
  const stores: RedisKeyValueStore[] = [];
  const breakers: SharedCircuitBreakers[] = [];
  const opened: { on: string; event: BreakerOpenedEvent }[] = [];
  let nextToken = 1;

  async function instance(name: string, url = TEST_REDIS_URL): Promise<SharedCircuitBreakers> {
    const store = new RedisKeyValueStore({ url, keyPrefix: prefix, commandTimeoutMs: 300, connectTimeoutMs: 300 });
    await store.connect();
    stores.push(store);
    const b = new SharedCircuitBreakers({ store, logger: pino({ level: 'silent' }) });
    b.onOpened = (event) => opened.push({ on: name, event });
    breakers.push(b);
    return b;
  }

  afterAll(async () => {
    for (const b of breakers) await b.close();
    for (const s of stores) await s.close();
    await deleteRedisPrefix(prefix);
  });

  it('failures recorded on A open the breaker on B within 1 s; circuit_opened is reported once', async () => {
    const a = await instance('a');
    const b = await instance('b');
    const tok = token(nextToken++);
    const url = 'https://upstream-1.example.com';
    expect(b.state(tok.id, url, cb)).toBe('closed');
    expect(a.state(tok.id, url, cb)).toBe('closed');
    await sleep(50);
    for (let i = 0; i < 3; i++) a.record(tok, url, cb, 'failure', false);
    expect(a.state(tok.id, url, cb)).toBe('open');
    const elapsed = await until(() => b.state(tok.id, url, cb) === 'open', 'B to see the open breaker');
    expect(elapsed).toBeLessThan(1_000);
    expect(b.acquire(tok.id, url, cb)).toEqual({ allowed: false, state: 'open', probe: false });
    expect(b.cooldownRemainingSecs(tok.id, url, cb)).toBe(1);
    await until(() => opened.length > 0, 'the circuit_opened report');
    await sleep(100);
    expect(opened.filter((o) => o.event.tokenId === tok.id)).toEqual([
      { on: 'a', event: { tokenId: tok.id, projectId: PROJECT, tokenName: tok.name, url, failureCount: 3, cooldownSecs: 1 } },
    ]);
  });

  it('sends nothing to Redis for successes on a healthy breaker (the steady state costs no call)', async () => {
    const a = breakers[0];
    const tok = token(nextToken++);
    const url = 'https://upstream-quiet.example.com';
    a.state(tok.id, url, cb);
    await sleep(50);
    for (let i = 0; i < 100; i++) expect(a.record(tok, url, cb, 'success', false)).toBe('closed');
    await sleep(50);
    const raw = new RedisKeyValueStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
    try {
      // No write ever created the breaker's hash; a failure does.
      const key = sharedBreakerKey(tok.id, url);
      expect(await raw.pttl(key)).toBe(-2);
      a.record(tok, url, cb, 'failure', false);
      await sleep(50);
      expect(await raw.pttl(key)).toBeGreaterThan(86_000_000);
      // With failures on record, the next success is sent (it resets them for every instance).
      a.record(tok, url, cb, 'success', false);
      await sleep(50);
      expect((await raw.breakerRead([key], 'x'))[0].failures).toBe(0);
    } finally {
      await raw.close();
    }
  });

  it('recovery propagates: after the cooldown one instance probes, the other fails fast, and the probe success closes it on both', async () => {
    const a = breakers[0];
    const b = breakers[1];
    const tok = token(nextToken++);
    const url = 'https://upstream-2.example.com';
    a.state(tok.id, url, cb);
    b.state(tok.id, url, cb);
    await sleep(50);
    for (let i = 0; i < 2; i++) a.record(tok, url, cb, 'failure', false);
    b.record(tok, url, cb, 'failure', false);
    await until(() => a.state(tok.id, url, cb) === 'open' && b.state(tok.id, url, cb) === 'open', 'both to see it open');
    await until(() => a.state(tok.id, url, cb) === 'half_open' && b.state(tok.id, url, cb) === 'half_open', 'the cooldown', 2_000);
    const probe = a.acquire(tok.id, url, cb);
    expect(probe).toEqual({ allowed: true, state: 'half_open', probe: true });
    // B learns about A's lease within one refresh and refuses its own probes meanwhile.
    await sleep(400);
    expect(b.acquire(tok.id, url, cb)).toEqual({ allowed: false, state: 'open', probe: false });
    expect(a.record(tok, url, cb, 'success', true)).toBe('closed');
    const elapsed = await until(() => b.state(tok.id, url, cb) === 'closed', 'B to see it closed');
    expect(elapsed).toBeLessThan(1_000);
    expect(b.acquire(tok.id, url, cb)).toEqual({ allowed: true, state: 'closed', probe: false });
  });

  it('falls back to its own breakers while Redis is unreachable, reports openings itself, and rejoins the shared state after', async () => {
    const target = new URL(TEST_REDIS_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    const port = await proxy.start();
    target.hostname = '127.0.0.1';
    target.port = String(port);
    try {
      const c = await instance('c', target.toString());
      const b = breakers[1];
      const tok = token(nextToken++);
      const url = 'https://upstream-3.example.com';
      c.state(tok.id, url, cb);
      await sleep(50);
      expect(c.usingSharedState).toBe(true);
      proxy.pause();
      for (let i = 0; i < 3; i++) c.record(tok, url, cb, 'failure', false);
      await until(() => !c.usingSharedState, 'C to notice Redis is gone', 3_000);
      expect(c.state(tok.id, url, cb)).toBe('open');
      expect(c.acquire(tok.id, url, cb).allowed).toBe(false);
      await until(() => opened.some((o) => o.on === 'c' && o.event.tokenId === tok.id), 'C to report the opening');

      // Still down: another breaker opens locally and is reported at once.
      const other = token(nextToken++);
      for (let i = 0; i < 3; i++) c.record(other, url, cb, 'failure', false);
      expect(c.state(other.id, url, cb)).toBe('open');
      await until(() => opened.some((o) => o.on === 'c' && o.event.tokenId === other.id), 'the local report');
      // Recovery through the local breaker's own half-open probe.
      await sleep(1_050);
      expect(c.acquire(other.id, url, cb)).toEqual({ allowed: true, state: 'half_open', probe: true });
      expect(c.record(other, url, cb, 'success', true)).toBe('closed');

      // Redis back: C reads the shared state again, and sees what B records there.
      proxy.resume();
      await until(() => c.usingSharedState, 'C to rejoin the shared state', 5_000);
      const shared = token(nextToken++);
      c.state(shared.id, url, cb);
      b.state(shared.id, url, cb);
      await sleep(50);
      for (let i = 0; i < 3; i++) b.record(shared, url, cb, 'failure', false);
      await until(() => c.state(shared.id, url, cb) === 'open', 'C to see B’s opening', 2_000);
    } finally {
      await proxy.stop();
    }
  });

  it('the proxy hot path: 503s through one handler open the breaker on the other handler, which then fails fast', async () => {
    let upstreamCalls = 0;
    let status = 503;
    const upstream: Server = createServer((req, res) => {
      upstreamCalls += 1;
      req.resume();
      req.on('end', () => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    const config = { upstreamTimeoutMs: 2_000, upstreamConnectTimeoutMs: 1_000, streamIdleTimeoutMs: 2_000 } as AppConfig;
    const client = new UpstreamClient(config);
    const tok: ProxyToken = {
      ...token(nextToken++),
      credentialId: null,
      upstreams: [{ url: upstreamUrl, weight: 100, priority: 1 }],
      policyIds: [],
      logLevel: 1,
      circuitBreaker: cb,
      tags: {},
      teamId: null,
    };
    const stage: ProxyStage = {
      name: 'test-token',
      run(ctx) {
        ctx.token = tok;
        ctx.retry = { max_retries: 0, base_backoff_ms: 10, max_backoff_ms: 10, jitter_ms: 0, status_codes: [] };
      },
    };
    const servers: Server[] = [];
    const bases: string[] = [];
    for (const b of [breakers[0], breakers[1]]) {
      const handler = new ProxyHandler(config, client, pino({ level: 'silent' }), b);
      handler.configure([stage], [], []);
      const server = createServer((req, res) => handler.serve(req, res, 'catch_all'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      bases.push(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    }
    try {
      // B has served this token before (its copy of the breaker is kept fresh from then on).
      status = 200;
      expect((await fetch(`${bases[1]}/v1/models`)).status).toBe(200);
      status = 503;
      for (let i = 0; i < 3; i++) expect((await fetch(`${bases[0]}/v1/models`)).status).toBe(503);
      const callsBefore = upstreamCalls;
      const elapsed = await until(() => breakers[1].state(tok.id, upstreamUrl, cb) === 'open', 'handler B’s breaker to open');
      expect(elapsed).toBeLessThan(1_000);
      const refused = await fetch(`${bases[1]}/v1/models`);
      expect(refused.status).toBe(502);
      expect(refused.headers.get('x-ailink-cb-state')).toBe('open');
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('circuit_open');
      expect(upstreamCalls).toBe(callsBefore);

      // After the cooldown a probe through B succeeds and closes it for A too.
      status = 200;
      await sleep(1_100);
      const probe = await fetch(`${bases[1]}/v1/models`);
      expect(probe.status).toBe(200);
      expect(probe.headers.get('x-ailink-cb-state')).toBe('closed');
      await until(() => breakers[0].state(tok.id, upstreamUrl, cb) === 'closed', 'handler A’s breaker to close');
      expect((await fetch(`${bases[0]}/v1/models`)).status).toBe(200);
    } finally {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
      await client.onApplicationShutdown();
      upstream.closeAllConnections();
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });
});

describe('circuit_opened events (ProxyModule wiring, Redis)', () => {
  const prefix = `t:cbevents:${randomUUID().slice(0, 12)}:`;
  let store: RedisKeyValueStore;
  let peerStore: RedisKeyValueStore;
  let bus: EventBus;
  let peerBus: EventBus;
  const local: GatewayEvent[] = [];
  const remote: GatewayEvent[] = [];

  beforeAll(async () => {
    store = new RedisKeyValueStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
    peerStore = new RedisKeyValueStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
    await store.connect();
    await peerStore.connect();
    bus = new EventBus(store, pino({ level: 'silent' }));
    peerBus = new EventBus(peerStore, pino({ level: 'silent' }));
    await bus.onModuleInit();
    await peerBus.onModuleInit();
    bus.subscribe((e) => void local.push(e));
    peerBus.subscribe((e) => void remote.push(e));
  });

  afterAll(async () => {
    await bus.onModuleDestroy();
    await peerBus.onModuleDestroy();
    await store.close();
    await peerStore.close();
    await deleteRedisPrefix(prefix);
  });

  it.each([
    ['shared', true],
    ['per-instance', false],
  ])('emits the envelope when a %s breaker opens, with the public token id only', async (_label, cbShared) => {
    const breakers = createCircuitBreakers({ cbShared, upstreamTimeoutMs: 2_000 } as AppConfig, store, bus, pino({ level: 'silent' }));
    try {
      expect(breakers instanceof SharedCircuitBreakers).toBe(cbShared);
      const tok = token(cbShared ? 9001 : 9002);
      const url = 'https://api.openai.example.com/v1';
      for (let i = 0; i < 3; i++) breakers.record(tok, url, cb, 'failure', false);
      await until(() => local.some((e) => e.token_id === tok.id), 'the local event');
      await until(() => remote.some((e) => e.token_id === tok.id), 'the event on the other instance');
      const event = local.find((e) => e.token_id === tok.id);
      expect(event).toEqual({
        event_type: 'circuit_opened',
        event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        timestamp: expect.stringMatching(/Z$/),
        token_id: tok.id,
        token_name: tok.name,
        project_id: PROJECT,
        details: { upstream: url, failure_count: 3, cooldown_secs: 1 },
      });
      expect(remote.find((e) => e.token_id === tok.id)).toEqual(event);
      // Further failures while open report nothing more.
      breakers.record(tok, url, cb, 'failure', false);
      await sleep(100);
      expect(local.filter((e) => e.token_id === tok.id)).toHaveLength(1);
      expect(JSON.stringify([...local, ...remote])).not.toContain('ailink_v1_');
    } finally {
      await breakers.close();
    }
  });
});
