import { randomBytes } from 'node:crypto';
import { MockUpstream } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

/** An upstream whose `/v1/fail…` paths answer 503 (a breaker failure); everything else the default answers. */
function flakyUpstream(): MockUpstream {
  return new MockUpstream({
    handler: (req, res) => {
      if (!req.url.startsWith('/v1/fail')) return false;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return true;
    },
  });
}

async function api(gw: GatewayProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${gw.baseUrl}/api/v1${path}`, {
    method,
    headers: { 'x-admin-key': gw.adminKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

/** A POST to a non-inference path: sent once (no implicit retries), so each call is one breaker outcome. */
function proxied(gw: GatewayProcess, secret: string, path: string): Promise<Response> {
  return fetch(`${gw.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: '{}',
  });
}

async function until(predicate: () => Promise<boolean>, what: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

async function breakerState(gw: GatewayProcess, tokenId: string): Promise<string | undefined> {
  const health = await api(gw, 'GET', '/health/upstreams');
  return (health.json as { token_id: string; state: string }[]).find((b) => b.token_id === tokenId)?.state;
}

describe('shared circuit breakers across two gateway instances (AILINK_CB_SHARED default)', () => {
  const upstream = flakyUpstream();
  let a: GatewayProcess;
  let b: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    const shared = {
      AILINK_REDIS_KEY_PREFIX: `e2ecb${randomBytes(4).toString('hex')}:`,
      AILINK_ADMIN_KEY: `shared_admin_${randomBytes(12).toString('hex')}`,
    };
    [a, b] = await Promise.all([startGateway({ env: shared }), startGateway({ env: shared })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await upstream.stop();
  });

  it('failures through one instance open the breaker on the other within 1 s; the recovery propagates too', async () => {
    const created = await api(a, 'POST', '/tokens', {
      name: 'breaker-e2e',
      upstream_url: `${upstream.url}/v1`,
      circuit_breaker: { failure_threshold: 3, recovery_cooldown_secs: 1 },
    });
    expect(created.status).toBe(201);
    const { token_id: secret, id } = created.json as { token_id: string; id: string };
    // B has served this token (so it keeps its copy of the breaker fresh).
    expect((await proxied(b, secret, '/v1/ok')).status).toBe(200);
    expect(await breakerState(b, id)).toBe('closed');

    for (let i = 0; i < 3; i++) expect((await proxied(a, secret, '/v1/fail')).status).toBe(503);
    const seenAfter = await until(async () => (await breakerState(b, id)) === 'open', 'B to report the breaker open', 1_500);
    expect(seenAfter).toBeLessThan(1_000);
    const before = upstream.requests.length;
    const refused = await proxied(b, secret, '/v1/ok');
    expect(refused.status).toBe(502);
    expect(refused.headers.get('x-ailink-cb-state')).toBe('open');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('circuit_open');
    expect(upstream.requests.length).toBe(before);

    // After the cooldown a probe through A succeeds; B sees the breaker closed within 1 s.
    await new Promise((r) => setTimeout(r, 1_100));
    const probe = await proxied(a, secret, '/v1/ok');
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-ailink-cb-state')).toBe('closed');
    const closedAfter = await until(async () => (await breakerState(b, id)) === 'closed', 'B to report it closed', 1_500);
    expect(closedAfter).toBeLessThan(1_000);
    expect((await proxied(b, secret, '/v1/ok')).status).toBe(200);
  });
});

describe('embedded mode: breakers on the in-process store, scheduled credential rotation on PGlite', () => {
  const upstream = flakyUpstream();
  let gw: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    gw = await startGateway({ mode: 'embedded', env: { AILINK_ROTATION_ENABLED: 'true', AILINK_ROTATION_CHECK_INTERVAL: '1' } });
  }, 90_000);
  afterAll(async () => {
    await gw?.stop();
    await upstream.stop();
  });

  it('opens, fails fast and recovers through a half-open probe', async () => {
    const created = await api(gw, 'POST', '/tokens', {
      name: 'embedded-breaker',
      upstream_url: `${upstream.url}/v1`,
      circuit_breaker: { failure_threshold: 3, recovery_cooldown_secs: 1 },
    });
    expect(created.status).toBe(201);
    const secret = (created.json as { token_id: string }).token_id;
    for (let i = 0; i < 3; i++) expect((await proxied(gw, secret, '/v1/fail')).status).toBe(503);
    const refused = await proxied(gw, secret, '/v1/ok');
    expect(refused.status).toBe(502);
    expect(refused.headers.get('x-ailink-cb-state')).toBe('open');
    await new Promise((r) => setTimeout(r, 1_100));
    const probe = await proxied(gw, secret, '/v1/ok');
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-ailink-cb-state')).toBe('closed');
  });

  it('refreshes the DEK of a credential due for rotation, while the API keeps answering', async () => {
    const value = `sk-rot-${randomBytes(12).toString('hex')}`;
    const created = await api(gw, 'POST', '/credentials', {
      name: 'rotating',
      provider: 'openai',
      secret: value,
      rotation_enabled: true,
      rotation_interval_secs: 1,
    });
    expect(created.status).toBe(201);
    const id = (created.json as { id: string }).id;
    await until(async () => (await api(gw, 'GET', `/credentials/${id}`)).json.version >= 2, 'a scheduled rotation', 10_000);
    const meta = (await api(gw, 'GET', `/credentials/${id}`)).json;
    expect(meta).toMatchObject({ rotation_enabled: true, rotation_interval_secs: 1, last_rotated_at: expect.stringMatching(/Z$/) });
    // The rotated credential still injects the same secret.
    const token = await api(gw, 'POST', '/tokens', { name: 'uses-rotating', upstream_url: `${upstream.url}/v1`, credential_id: id });
    const before = upstream.requests.length;
    expect((await proxied(gw, token.json.token_id, '/v1/ok')).status).toBe(200);
    expect(upstream.requests[before].headers['authorization']).toBe(`Bearer ${value}`);
    expect(gw.logs()).not.toContain(value);
  });
});
