import { Client } from 'pg';
import { MockUpstream, TEST_DATABASE_URL } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

/**
 * Spend caps through the built gateway (vault-and-spend.md §6, §8): concurrent requests cannot
 * overspend a cap, because each one reserves its estimate atomically before the upstream call.
 *
 * Every request below asks for gpt-4o with `max_tokens: 100` and the prompt "hi": its estimate is
 * ⌈2/4⌉ = 1 prompt token × $2.50/M + 100 × $10/M = $0.001003 (rounded up). A daily cap of $0.0105
 * therefore admits 10 reservations in flight at once. Each admitted request then costs exactly
 * $0.00105 (`X-AILink-Test-Cost`), so after 10 settlements the cap is full: at most 10 ever succeed,
 * whatever the timing.
 */
const CAP_USD = 0.0105;
const COST_USD = '0.00105';

async function api(gw: GatewayProcess, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${gw.baseUrl}/api/v1${path}`, {
    method,
    headers: { 'x-admin-key': gw.adminKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

function chat(gw: GatewayProcess, secret: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${gw.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'x-ailink-test-cost': COST_USD },
    body: JSON.stringify({ model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
}

async function cappedToken(gw: GatewayProcess, upstream: MockUpstream): Promise<{ id: string; secret: string }> {
  const token = await api(gw, 'POST', '/tokens', { name: `spend-e2e-${Date.now()}`, upstream_url: `${upstream.url}/v1` });
  expect(token.status).toBe(201);
  expect((await api(gw, 'PUT', `/tokens/${token.json.token_id}/spend`, { period: 'daily', limit_usd: CAP_USD })).status).toBe(204);
  return { id: token.json.id, secret: token.json.token_id };
}

/** Fires 200 requests at once; returns the statuses and the error codes of the refusals. */
async function burst(gw: GatewayProcess, secret: string): Promise<{ ok: number; refused: string[]; other: number[] }> {
  const responses = await Promise.all(Array.from({ length: 200 }, () => chat(gw, secret)));
  const bodies = await Promise.all(responses.map((r) => r.json() as Promise<any>));
  const refused: string[] = [];
  const other: number[] = [];
  let ok = 0;
  responses.forEach((r, i) => {
    if (r.status === 200) ok++;
    else if (r.status === 402) refused.push(bodies[i].error.code);
    else other.push(r.status);
  });
  return { ok, refused, other };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('spend caps through the built gateway (external mode: PostgreSQL + Redis)', () => {
  // Slow enough that all 200 requests are in flight together.
  const upstream = new MockUpstream({ delayMs: 1500 });
  let gw: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    gw = await startGateway({ env: { AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', AILINK_SPEND_FLUSH_MS: '500' } });
  });

  afterAll(async () => {
    await gw?.stop();
    await upstream.stop();
  });

  it('200 concurrent requests against a cap that admits 10: at most 10 succeed, the rest are 402 spend_cap_reached', async () => {
    const token = await cappedToken(gw, upstream);
    const before = upstream.requests.length;
    const result = await burst(gw, token.secret);
    expect(result.other).toEqual([]);
    expect(result.ok).toBeLessThanOrEqual(10);
    expect(result.ok).toBeGreaterThan(0);
    expect(result.refused).toHaveLength(200 - result.ok);
    expect(new Set(result.refused)).toEqual(new Set(['spend_cap_reached']));
    // Refused requests never reached the upstream.
    expect(upstream.requests.length - before).toBe(result.ok);

    // Settlement: the counters hold exactly what the admitted requests cost, never more than the cap.
    const status = await waitFor(
      async () => (await api(gw, 'GET', `/tokens/${token.id}/spend`)).json,
      (s) => s.current_daily_usd >= result.ok * Number(COST_USD) - 1e-9,
    );
    expect(status).toMatchObject({ daily_limit_usd: CAP_USD, monthly_limit_usd: null, lifetime_limit_usd: null });
    expect(status.current_daily_usd).toBeCloseTo(result.ok * Number(COST_USD), 6);
    expect(status.current_daily_usd).toBeLessThanOrEqual(CAP_USD);

    // A second burst after settlement admits only what is left (nothing, when all 10 went through).
    const again = await burst(gw, token.secret);
    expect(result.ok + again.ok).toBeLessThanOrEqual(10);

    // The totals reach PostgreSQL in batches (AILINK_SPEND_FLUSH_MS=500 here).
    const pg = new Client({ connectionString: TEST_DATABASE_URL });
    await pg.connect();
    try {
      const rows = await waitFor(
        async () =>
          (
            await pg.query(`SELECT spend_usd, requests::int AS requests FROM token_spend WHERE token_id = $1 AND period_key = 'lifetime'`, [
              token.id,
            ])
          ).rows,
        (r) => r.length === 1 && r[0].requests === result.ok + again.ok,
      );
      expect(rows).toEqual([{ spend_usd: (Number(COST_USD) * (result.ok + again.ok)).toFixed(6), requests: result.ok + again.ok }]);
    } finally {
      await pg.end();
    }
  });

  it('reports the remaining budget on admitted responses, streams included, and settles a stream from its usage chunk', async () => {
    const token = await api(gw, 'POST', '/tokens', { name: `spend-e2e-stream-${Date.now()}`, upstream_url: `${upstream.url}/v1` });
    await api(gw, 'PUT', `/tokens/${token.json.id}/spend`, { period: 'monthly', limit_usd: 1 });
    const r = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.json.token_id}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    // $1 − (1 × $0.15/M + 1024 default output tokens × $0.60/M) reserved.
    expect(r.headers.get('x-ailink-budget-remaining-monthly')).toBe('0.9993');
    expect(await r.text()).toContain('[DONE]');
    // The mock's usage chunk (9 + 4 tokens on gpt-4o-mini = $0.00000375 → $0.000004) is what settles.
    const status = await waitFor(
      async () => (await api(gw, 'GET', `/tokens/${token.json.id}/spend`)).json,
      (s) => s.current_monthly_usd > 0,
    );
    expect(status.current_monthly_usd).toBe(0.000004);
  });
});

describe('spend caps through the built gateway (embedded mode: PGlite + in-process store)', () => {
  const upstream = new MockUpstream({ delayMs: 1500 });
  let gw: GatewayProcess;

  beforeAll(async () => {
    await upstream.start();
    gw = await startGateway({ mode: 'embedded', env: { AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' } });
  });

  afterAll(async () => {
    await gw?.stop();
    await upstream.stop();
  });

  it('200 concurrent requests against a cap that admits 10: at most 10 succeed', async () => {
    const token = await cappedToken(gw, upstream);
    const result = await burst(gw, token.secret);
    expect(result.other).toEqual([]);
    expect(result.ok).toBeLessThanOrEqual(10);
    expect(result.ok).toBeGreaterThan(0);
    expect(new Set(result.refused)).toEqual(new Set(['spend_cap_reached']));
    const status = await waitFor(
      async () => (await api(gw, 'GET', `/tokens/${token.id}/spend`)).json,
      (s) => s.current_daily_usd >= result.ok * Number(COST_USD) - 1e-9,
    );
    expect(status.current_daily_usd).toBeCloseTo(result.ok * Number(COST_USD), 6);
  });
});
