import { randomBytes } from 'node:crypto';
import { MockUpstream } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

type Json = any;

/**
 * Rate limits are global across instances (vault-and-spend.md §7): two gateway processes sharing
 * one PostgreSQL and one Redis, hammered concurrently, never admit more than the limit together.
 */
describe('rate limits across two gateway processes sharing Redis', () => {
  // Slow enough that the requests of a burst are all in flight together.
  const upstream = new MockUpstream({ delayMs: 300 });
  const adminKey = `test_admin_${randomBytes(16).toString('hex')}`;
  const env = {
    AILINK_ADMIN_KEY: adminKey,
    AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    // One deployment: the same key prefix, so both processes see the same logs.
    AILINK_REDIS_KEY_PREFIX: `e2erl${randomBytes(4).toString('hex')}:`,
    AILINK_DEFAULT_RPM: '15',
    AILINK_ACCESS_LOG: 'false',
  };
  let a: GatewayProcess;
  let b: GatewayProcess;

  async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const r = await fetch(`${a.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': adminKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined };
  }

  async function token(policyIds: string[]): Promise<string> {
    const created = await api('POST', '/tokens', {
      name: `cluster-${Date.now()}`,
      upstream_url: `${upstream.url}/v1`,
      policy_ids: policyIds,
    });
    expect(created.status).toBe(201);
    return created.json.token_id;
  }

  /** `n` concurrent requests, alternating between the two processes; the statuses per process. */
  async function hammer(secret: string, n: number): Promise<{ ok: number; limited: number; other: number[]; perProcess: number[] }> {
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        fetch(`${(i % 2 ? a : b).baseUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'x-user-id': `user-${i % 7}` },
          body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
        }).then(async (r) => ({ status: r.status, process: i % 2, body: await r.text() })),
      ),
    );
    const perProcess = [0, 0];
    let ok = 0;
    let limited = 0;
    const other: number[] = [];
    for (const r of responses) {
      if (r.status === 200) {
        ok += 1;
        perProcess[r.process] = (perProcess[r.process] ?? 0) + 1;
      } else if (r.status === 429 && (JSON.parse(r.body) as Json).error.code === 'rate_limit_exceeded') {
        limited += 1;
      } else {
        other.push(r.status);
      }
    }
    return { ok, limited, other, perProcess };
  }

  beforeAll(async () => {
    await upstream.start();
    a = await startGateway({ env });
    b = await startGateway({ env });
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await upstream.stop();
  });

  it('a policy limit of 10 per minute admits exactly 10 of 120 concurrent requests spread over both processes', async () => {
    const created = await api('POST', '/policies', {
      name: `cluster-limit-${Date.now()}`,
      rules: [{ then: { action: 'rate_limit', window: '1m', max_requests: 10 } }],
    });
    expect(created.status).toBe(201);
    const secret = await token([created.json.id]);
    const seen = upstream.requests.length;
    const result = await hammer(secret, 120);
    expect(result.other).toEqual([]);
    expect(result.ok).toBe(10);
    expect(result.limited).toBe(110);
    // Two separate limits would have admitted 10 per process; only admitted requests reached the upstream.
    expect(result.perProcess[0] + result.perProcess[1]).toBe(10);
    expect(upstream.requests.length - seen).toBe(10);

    // A second wave within the window admits nothing more.
    const again = await hammer(secret, 40);
    expect(again.ok).toBe(0);
    expect(again.limited).toBe(40);
  });

  it('the default per-token limit is shared too, and a global policy limit spans every token of the policy', async () => {
    const byDefault = await hammer(await token([]), 60);
    expect(byDefault.other).toEqual([]);
    expect(byDefault.ok).toBe(15);

    const created = await api('POST', '/policies', {
      name: `cluster-global-${Date.now()}`,
      rules: [{ then: { action: 'rate_limit', window: '1m', max_requests: 12, key: 'global' } }],
    });
    const [first, second] = [await token([created.json.id]), await token([created.json.id])];
    const results = await Promise.all([hammer(first, 40), hammer(second, 40)]);
    expect(results.flatMap((r) => r.other)).toEqual([]);
    expect(results[0].ok + results[1].ok).toBe(12);
  });
});
