import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_DATABASE_URL, TEST_REDIS_URL, TcpProxy, freePort } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

type Json = any;

async function json(response: Response): Promise<Json> {
  return JSON.parse(await response.text());
}

/** Logs are written asynchronously: wait until a line matches. */
async function logged(gw: GatewayProcess, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!pattern.test(gw.logs())) {
    if (Date.now() > deadline) throw new Error(`no log line matches ${pattern}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectEnvelope(body: Json, code: string, type: string): void {
  expect(body).toEqual({
    error: expect.objectContaining({ code, type, message: expect.any(String), request_id: expect.stringMatching(REQUEST_ID) }),
  });
}

describe('gateway foundation (external mode: PostgreSQL + Redis)', () => {
  let gw: GatewayProcess;
  const admin = () => ({ 'x-admin-key': gw.adminKey });

  beforeAll(async () => {
    gw = await startGateway({ env: { AILINK_MAX_BODY_BYTES: '4096', AILINK_METRICS_TOKEN: 'metrics-token-123456' } });
  });
  afterAll(async () => {
    expect(await gw.stop()).toBe(0);
    expect(gw.logs()).not.toContain(gw.adminKey);
  });

  it('answers liveness and readiness with version and mode', async () => {
    const live = await fetch(`${gw.baseUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe('ok');
    const ready = await fetch(`${gw.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/), mode: 'external' });
  });

  it('sets x-request-id and the security headers on every response, and no Server header', async () => {
    for (const path of ['/healthz', '/api/v1/auth/whoami', '/nope/deep']) {
      const r = await fetch(`${gw.baseUrl}${path}`);
      expect(r.headers.get('x-request-id')).toMatch(REQUEST_ID);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('x-xss-protection')).toBe('0');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=()');
      expect(r.headers.get('strict-transport-security')).toBe('max-age=0');
      expect(r.headers.get('server')).toBeNull();
      expect(r.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('keeps a well-formed incoming request id and uses it in the error body', async () => {
    const id = 'req_' + 'ab'.repeat(16);
    const r = await fetch(`${gw.baseUrl}/api/v1/auth/whoami`, { headers: { 'x-request-id': id } });
    expect(r.headers.get('x-request-id')).toBe(id);
    expect((await json(r)).error.request_id).toBe(id);
  });

  it('refuses unauthenticated and wrongly authenticated management calls with 401', async () => {
    const none = await fetch(`${gw.baseUrl}/api/v1/projects`);
    expect(none.status).toBe(401);
    expect(none.headers.get('cache-control')).toBe('no-store');
    expectEnvelope(await json(none), 'unauthorized', 'authentication_error');
    const wrong = await fetch(`${gw.baseUrl}/api/v1/projects`, { headers: { 'x-admin-key': gw.adminKey + 'x' } });
    expect(wrong.status).toBe(401);
  });

  it('accepts the admin key as X-Admin-Key and as a bearer token', async () => {
    const a = await fetch(`${gw.baseUrl}/api/v1/auth/whoami`, { headers: admin() });
    expect(a.status).toBe(200);
    expect(await json(a)).toEqual({
      org_id: '00000000-0000-0000-0000-000000000001',
      user_id: null,
      role: 'SuperAdmin',
      scopes: ['*'],
      auth_method: 'admin_key',
    });
    const b = await fetch(`${gw.baseUrl}/api/v1/projects`, { headers: { authorization: `Bearer ${gw.adminKey}` } });
    expect(b.status).toBe(200);
    const projects = await json(b);
    expect(projects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: '00000000-0000-0000-0000-000000000001', org_id: '00000000-0000-0000-0000-000000000001' }),
      ]),
    );
  });

  it('answers unknown management paths 404 and known paths with a wrong method 405 + Allow', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const r = await fetch(`${gw.baseUrl}/api/v1/does-not-exist`, { method, headers: admin() });
      expect(r.status).toBe(404);
      expectEnvelope(await json(r), 'not_found', 'invalid_request_error');
    }
    const r = await fetch(`${gw.baseUrl}/api/v1/auth/whoami`, { method: 'DELETE', headers: admin() });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toContain('GET');
    expectEnvelope(await json(r), 'method_not_allowed', 'invalid_request_error');
  });

  it('answers a malformed JSON body with 400 and an oversize body with 413, in the envelope', async () => {
    const bad = await fetch(`${gw.baseUrl}/api/v1/projects`, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(bad.status).toBe(400);
    expectEnvelope(await json(bad), 'bad_request', 'invalid_request_error');
    const big = await fetch(`${gw.baseUrl}/api/v1/projects`, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(10000) }),
    });
    expect(big.status).toBe(413);
    expectEnvelope(await json(big), 'payload_too_large', 'invalid_request_error');
  });

  it('serves the portal with SPA fallback, but never for API paths or requests carrying a virtual token', async () => {
    const root = await fetch(`${gw.baseUrl}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    expect(await root.text()).toContain('<title>AIlink</title>');
    const deep = await fetch(`${gw.baseUrl}/tokens/some/deep/link`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<title>AIlink</title>');
    for (const path of ['/api/v1/nope', '/v1/models', '/anthropic/v1/messages']) {
      const r = await fetch(`${gw.baseUrl}${path}`);
      expect(r.headers.get('content-type')).toContain('application/json');
    }
    const withToken = await fetch(`${gw.baseUrl}/`, { headers: { authorization: 'Bearer ailink_v1_00000000_tok_' + '0'.repeat(32) } });
    expect(withToken.headers.get('content-type')).toContain('application/json');
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const ok = await fetch(`${gw.baseUrl}/api/v1/projects`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:4200', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-admin-key' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:4200');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-admin-key');
    const evil = await fetch(`${gw.baseUrl}/api/v1/projects`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${gw.baseUrl}/readyz`, { headers: { origin: 'http://127.0.0.1:3000' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
    expect(simple.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  it('publishes the OpenAPI document and UI', async () => {
    const doc = await json(await fetch(`${gw.baseUrl}/api/docs-json`));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/whoami', '/api/v1/projects', '/healthz', '/readyz']));
    const ui = await fetch(`${gw.baseUrl}/api/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('serves Prometheus metrics behind AILINK_METRICS_TOKEN', async () => {
    const denied = await fetch(`${gw.baseUrl}/metrics`);
    expect(denied.status).toBe(401);
    const r = await fetch(`${gw.baseUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-123456' } });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toMatch(/ailink_build_info\{version="[^"]+",mode="external"\} 1/);
  });

  it('never logs a virtual token, only its public id', async () => {
    const secret = 'ailink_v1_00000000_tok_' + 'c'.repeat(32);
    await fetch(`${gw.baseUrl}/api/v1/nope?key=${secret}`);
    await logged(gw, /"path":"\/api\/v1\/nope\?key=/);
    expect(gw.logs()).not.toContain(secret);
    expect(gw.logs()).toMatch(/"path":"\/api\/v1\/nope\?key=tok_[0-9a-f]{24}"/);
  });

  it('logs structured JSON lines carrying the request id', async () => {
    const r = await fetch(`${gw.baseUrl}/api/v1/auth/whoami`, { method: 'PATCH', headers: admin() });
    expect(r.status).toBe(405);
    await logged(gw, new RegExp(`"request_id":"${r.headers.get('x-request-id')}"`));
    const lines = gw
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.some((l) => JSON.parse(l).msg?.includes('ready on'))).toBe(true);
    const rid = r.headers.get('x-request-id');
    const access = lines.map((l) => JSON.parse(l)).find((l) => l.request_id === rid);
    expect(access).toMatchObject({ msg: 'request completed', method: 'PATCH', path: '/api/v1/auth/whoami', status: 405, level: 'info' });
  });
});

describe('graceful shutdown', () => {
  it('drains an in-flight request before exiting 0', async () => {
    const gw = await startGateway();
    const slow = fetch(`${gw.baseUrl}/healthz`, { headers: { 'x-ailink-test-delay-ms': '1500' } });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    gw.process.kill('SIGTERM');
    const response = await slow;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    const code = await gw.exited;
    if (code !== 0) throw new Error(`exit ${code}:\n${gw.logs().slice(-2000)}`);
    expect(Date.now() - t0).toBeGreaterThan(800);
    await expect(fetch(`${gw.baseUrl}/healthz`)).rejects.toThrow();
  });
});

describe('startup failures', () => {
  it('stops with one line naming a malformed variable', async () => {
    const gw = await startGateway({ waitReady: false, env: { AILINK_MASTER_KEY: 'not-hex' } });
    expect(await gw.exited).toBe(1);
    expect(gw.logs().trim()).toBe(
      'ailink: Invalid configuration: AILINK_MASTER_KEY must be 64 hexadecimal characters (a 32-byte key; generate one with `openssl rand -hex 32`)',
    );
  });

  it('refuses placeholder keys in production', async () => {
    const gw = await startGateway({
      waitReady: false,
      env: { AILINK_ENV: 'production', AILINK_ENABLE_TEST_HOOKS: 'false', AILINK_ADMIN_KEY: 'ailink-admin-key' },
    });
    expect(await gw.exited).toBe(1);
    expect(gw.logs()).toContain('Invalid configuration: AILINK_ADMIN_KEY is a placeholder value');
  });

  it('names PostgreSQL (without the password) when DATABASE_URL is unreachable', async () => {
    const port = await freePort();
    const gw = await startGateway({ waitReady: false, env: { DATABASE_URL: `postgres://postgres:sup3rsecret@127.0.0.1:${port}/ailink` } });
    expect(await gw.exited).toBe(1);
    expect(gw.logs()).toContain(`ailink: Cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:${port}/ailink (DATABASE_URL)`);
    expect(gw.logs()).not.toContain('sup3rsecret');
  });

  it('names Redis when REDIS_URL is unreachable', async () => {
    const port = await freePort();
    const gw = await startGateway({ waitReady: false, env: { REDIS_URL: `redis://:r3dissecret@127.0.0.1:${port}` } });
    expect(await gw.exited).toBe(1);
    expect(gw.logs()).toMatch(/ailink: .*Redis.*127\.0\.0\.1/);
    expect(gw.logs()).not.toContain('r3dissecret');
  });
});

describe('readiness when a dependency goes away', () => {
  const pg = new URL(TEST_DATABASE_URL);
  const redis = new URL(TEST_REDIS_URL);
  const pgProxy = new TcpProxy(pg.hostname, Number(pg.port || 5432));
  const redisProxy = new TcpProxy(redis.hostname, Number(redis.port || 6379));
  let gw: GatewayProcess;

  beforeAll(async () => {
    const pgUrl = new URL(TEST_DATABASE_URL);
    pgUrl.port = String(await pgProxy.start());
    const redisUrl = new URL(TEST_REDIS_URL);
    redisUrl.port = String(await redisProxy.start());
    gw = await startGateway({ env: { DATABASE_URL: pgUrl.toString(), REDIS_URL: redisUrl.toString() } });
  });
  afterAll(async () => {
    await gw?.stop();
    await pgProxy.stop();
    await redisProxy.stop();
  });

  async function readyz(): Promise<{ status: number; body: Json }> {
    const r = await fetch(`${gw.baseUrl}/readyz`);
    return { status: r.status, body: await json(r) };
  }

  async function eventually(check: () => Promise<boolean>, ms = 8000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not reached in time');
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('answers 503 naming Redis when Redis stops answering, and recovers', async () => {
    expect((await readyz()).status).toBe(200);
    redisProxy.pause();
    const t0 = Date.now();
    const down = await readyz();
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', postgres: true, redis: false, version: expect.any(String), mode: 'external' });
    redisProxy.resume();
    await eventually(async () => (await readyz()).status === 200);
  });

  it('answers 503 naming PostgreSQL when PostgreSQL stops answering, and recovers', async () => {
    pgProxy.pause();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', postgres: false, redis: true });
    pgProxy.resume();
    await eventually(async () => (await readyz()).status === 200);
  });
});

describe('embedded mode (no DATABASE_URL / REDIS_URL)', () => {
  it('boots on PGlite with a generated admin key file (0600) that the log names but never prints, and keeps data across restarts', async () => {
    const first = await startGateway({ mode: 'embedded', env: { AILINK_ADMIN_KEY: undefined, AILINK_MASTER_KEY: undefined } });
    try {
      const keyFile = join(first.dataDir, 'admin-key');
      const key = readFileSync(keyFile, 'utf8').trim();
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(first.logs()).toContain(keyFile);
      expect(first.logs()).not.toContain(key);
      expect(first.logs()).toMatch(/Embedded mode/);
      const ready = await (await fetch(`${first.baseUrl}/readyz`)).json();
      expect(ready).toMatchObject({ status: 'ok', mode: 'embedded' });
      const whoami = await fetch(`${first.baseUrl}/api/v1/auth/whoami`, { headers: { 'x-admin-key': key } });
      expect(whoami.status).toBe(200);
      const projects = await (await fetch(`${first.baseUrl}/api/v1/projects`, { headers: { 'x-admin-key': key } })).json();
      expect(projects.map((p: { id: string }) => p.id)).toEqual(['00000000-0000-0000-0000-000000000001']);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await startGateway({
      mode: 'embedded',
      env: { AILINK_DATA_DIR: first.dataDir, AILINK_ADMIN_KEY: undefined, AILINK_MASTER_KEY: undefined },
    });
    try {
      const key = readFileSync(join(first.dataDir, 'admin-key'), 'utf8').trim();
      const r = await fetch(`${second.baseUrl}/api/v1/projects`, { headers: { 'x-admin-key': key } });
      expect(r.status).toBe(200);
      expect(second.logs()).not.toMatch(/Applied \d+ migration/);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
