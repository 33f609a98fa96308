import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { DEFAULT_PROJECT_ID } from '@ailink/shared-contracts';
import { loadConfig } from '@ailink/gateway-core';
import { SpendFlusher } from '@ailink/gateway-spend';
import { MockUpstream, TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { API_PREFIX, createGateway } from './create-gateway';

const ADMIN_KEY = 'spend-routes-admin-key-0123456789';
type Json = any;

/**
 * The spend and pricing routes over HTTP (management-api.md "Tokens", "Pricing", "Projects") and the
 * spend stage in the running proxy: budget headers, the 402 envelope, cost on the audit record.
 */
describe('spend and pricing routes (the whole gateway)', () => {
  const keyPrefix = `spendroutes${Date.now()}:`;
  const upstream = new MockUpstream();
  let app: NestFastifyApplication;
  let ds: DataSource;
  let token: { id: string; token_id: string };
  // An organisation of its own (created in SQL, like the library tests do), so that nothing here
  // changes the default organisation other tests look at.
  const orgId = randomUUID();
  const projectId = randomUUID();
  const pricingIds: string[] = [];

  async function inject(method: string, url: string, headers: Record<string, string>, body?: unknown) {
    const response = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: method as 'GET',
        url,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
    let json: Json;
    try {
      json = response.json();
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, json, headers: response.headers };
  }
  const admin = (method: string, path: string, body?: unknown) =>
    inject(method, `/${API_PREFIX}${path}`, { 'x-admin-key': ADMIN_KEY }, body);
  const chat = (secret: string, body: Record<string, unknown> = {}) =>
    inject(
      'POST',
      '/v1/chat/completions',
      { authorization: `Bearer ${secret}` },
      {
        model: 'gpt-4o',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'hi' }],
        ...body,
      },
    );

  /** Settlement runs after the response: poll until the token's counters show what a test expects. */
  async function spendOf(predicate: (status: Json) => boolean): Promise<Json> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const status = (await admin('GET', `/tokens/${token.id}/spend`)).json;
      if (predicate(status) || Date.now() > deadline) return status;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    await upstream.start();
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_ADMIN_KEY: ADMIN_KEY,
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-spend-routes-')),
        AILINK_PORTAL_DIR: mkdtempSync(join(tmpdir(), 'ailink-noportal-')),
        AILINK_SPEND_FLUSH_MS: '3600000',
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    app = await createGateway(config, pino({ level: 'silent' }));
    ds = app.get(DataSource);
    await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, 'spend-routes')`, [orgId]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'spend-routes')`, [projectId, orgId]);
    const created = await admin('POST', '/tokens', {
      name: `spend-routes ${randomUUID()}`,
      upstream_url: `${upstream.url}/v1`,
      project_id: projectId,
    });
    expect(created.status).toBe(201);
    token = created.json;
  }, 60_000);

  afterAll(async () => {
    if (pricingIds.length) await ds?.query('DELETE FROM model_pricing WHERE id = ANY($1::uuid[])', [pricingIds]);
    await ds?.query('DELETE FROM organizations WHERE id = $1', [orgId]);
    await app?.close();
    await upstream.stop();
    await deleteRedisPrefix(keyPrefix);
  });

  it('GET /tokens/{id}/spend: limits null and counters kept without caps', async () => {
    expect((await chat(token.token_id)).status).toBe(200);
    expect((await admin('GET', `/tokens/${token.id}/spend`)).status).toBe(200);
    expect(await spendOf((s) => s.current_lifetime_usd > 0)).toEqual({
      daily_limit_usd: null,
      monthly_limit_usd: null,
      lifetime_limit_usd: null,
      current_daily_usd: 0.000063,
      current_monthly_usd: 0.000063,
      current_lifetime_usd: 0.000063,
    });
  });

  it('PUT /tokens/{id}/spend (public id or secret) → 204; the proxy reports what is left and refuses with 402 once exhausted', async () => {
    const put = await admin('PUT', `/tokens/${token.token_id}/spend`, { period: 'daily', limit_usd: '0.0025' });
    expect(put.status).toBe(204);
    expect(await spendOf(() => true)).toMatchObject({ daily_limit_usd: 0.0025, current_daily_usd: 0.000063 });

    // 0.0025 − 0.000063 spent − 0.001003 reserved.
    const first = await chat(token.token_id);
    expect(first.status).toBe(200);
    expect(first.headers['x-ailink-budget-remaining-daily']).toBe('0.0014');
    expect(first.headers['x-ailink-budget-remaining-monthly']).toBeUndefined();

    // Settled costs add up; a request whose estimate no longer fits is refused before the upstream.
    const seen = upstream.requests.length;
    let refused: Awaited<ReturnType<typeof chat>> | undefined;
    for (let i = 0; i < 40 && !refused; i++) {
      const r = await chat(token.token_id);
      if (r.status === 402) refused = r;
      else expect(r.status).toBe(200);
    }
    expect(refused).toBeDefined();
    const body = (refused as NonNullable<typeof refused>).json;
    expect(body).toEqual({
      error: {
        code: 'spend_cap_reached',
        message: 'Daily spend cap of $0.0025 reached',
        type: 'billing_error',
        request_id: expect.stringMatching(/^req_[0-9a-f]{32}$/),
        details: { scope: 'token', period: 'daily', limit_usd: 0.0025, current_usd: expect.any(Number), reserved_usd: expect.any(Number) },
      },
    });
    expect(upstream.requests.length - seen).toBeLessThan(40);
  });

  it('DELETE /tokens/{id}/spend/{period} → 204 lifts the cap; bad input is 400 / 422; unknown tokens 404', async () => {
    expect((await admin('DELETE', `/tokens/${token.id}/spend/daily`)).status).toBe(204);
    expect((await admin('GET', `/tokens/${token.id}/spend`)).json.daily_limit_usd).toBeNull();
    await new Promise((r) => setTimeout(r, 50));
    expect((await chat(token.token_id)).status).toBe(200);

    const badPeriod = await admin('PUT', `/tokens/${token.id}/spend`, { period: 'hourly', limit_usd: 1 });
    expect(badPeriod.status).toBe(422);
    expect(badPeriod.json.error).toMatchObject({ code: 'validation_error', details: { errors: [{ path: '$.period' }] } });
    expect((await admin('PUT', `/tokens/${token.id}/spend`, { period: 'daily', limit_usd: 0 })).status).toBe(422);
    expect((await admin('PUT', `/tokens/${token.id}/spend`, { period: 'daily' })).json.error.code).toBe('bad_request');
    expect((await admin('PUT', `/tokens/${token.id}/spend`, { period: 'daily', limit_usd: true })).status).toBe(400);
    expect((await admin('DELETE', `/tokens/${token.id}/spend/weekly`)).status).toBe(422);
    expect((await admin('GET', `/tokens/tok_${'0'.repeat(24)}/spend`)).status).toBe(404);
    expect((await admin('GET', '/tokens/not-a-token/spend')).status).toBe(404);
  });

  it('GET /tokens/{id}/spend/history: one row per UTC day, oldest first, today last', async () => {
    const history = await admin('GET', `/tokens/${token.id}/spend/history?days=7`);
    expect(history.status).toBe(200);
    expect(history.json).toHaveLength(7);
    expect(history.json[6]).toMatchObject({ date: new Date().toISOString().slice(0, 10), requests: expect.any(Number) });
    expect(history.json[6].spend_usd).toBeGreaterThan(0);
    expect(history.json[0]).toEqual({ date: expect.any(String), spend_usd: 0, requests: 0 });
    expect((await admin('GET', `/tokens/${token.id}/spend/history?days=0`)).status).toBe(422);
    expect((await admin('GET', `/tokens/${token.id}/spend/history?days=x`)).status).toBe(400);
  });

  it('spend reaches PostgreSQL in batches and the audit record carries the cost', async () => {
    await spendOf((s) => s.current_lifetime_usd >= 0.000063 * 3);
    await app.get(SpendFlusher).flushNow();
    const [row] = await ds.query(
      `SELECT spend_usd, requests::int AS requests FROM token_spend WHERE token_id = $1 AND period_key = 'lifetime'`,
      [token.id],
    );
    expect(Number(row.spend_usd)).toBeGreaterThan(0);
    expect(row.requests).toBeGreaterThan(2);
    const deadline = Date.now() + 10_000;
    let audited: { estimated_cost_usd: string | null; pricing_missing: boolean }[] = [];
    while (audited.length === 0 && Date.now() < deadline) {
      audited = await ds.query(
        `SELECT estimated_cost_usd, pricing_missing FROM audit_logs WHERE token_id = $1 AND upstream_status = 200 ORDER BY created_at LIMIT 1`,
        [token.id],
      );
      if (audited.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(audited).toEqual([{ estimated_cost_usd: '0.000063', pricing_missing: false }]);
  });

  it('PUT /pricing validates and upserts an override; GET lists it with decimal strings; DELETE soft-deletes', async () => {
    expect((await admin('PUT', '/pricing', { provider: '', model_pattern: 'x*', input_per_m: 1, output_per_m: 1 })).status).toBe(400);
    expect((await admin('PUT', '/pricing', { provider: 'openai', model_pattern: ' ', input_per_m: 1, output_per_m: 1 })).status).toBe(400);
    expect((await admin('PUT', '/pricing', { provider: 'openai', input_per_m: 1, output_per_m: 1 })).status).toBe(400);
    const unknown = await admin('PUT', '/pricing', { provider: 'acme', model_pattern: 'x*', input_per_m: 1, output_per_m: 1 });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.details.errors).toEqual([{ path: '$.provider', message: 'unknown provider "acme"' }]);
    expect(
      (await admin('PUT', '/pricing', { provider: 'openai', model_pattern: 'x'.repeat(256), input_per_m: 1, output_per_m: 1 })).status,
    ).toBe(422);
    expect((await admin('PUT', '/pricing', { provider: 'openai', model_pattern: 'x*', input_per_m: -1, output_per_m: 1 })).status).toBe(
      422,
    );

    const pattern = `spend-routes-${randomUUID().slice(0, 8)}*`;
    const put = await admin('PUT', '/pricing', {
      provider: 'gemini',
      model_pattern: pattern,
      input_per_m: '0.5',
      output_per_m: 1.5,
      cached_input_per_m: '0.125',
      max_output_tokens: 2048,
    });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ success: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    pricingIds.push(put.json.id);
    const again = await admin('PUT', '/pricing', { provider: 'google', model_pattern: pattern, input_per_m: '0.6', output_per_m: 1.5 });
    expect(again.json.id).toBe(put.json.id);

    const list = await admin('GET', '/pricing');
    const mine = list.json.find((r: Json) => r.id === put.json.id);
    expect(mine).toEqual({
      id: put.json.id,
      org_id: '00000000-0000-0000-0000-000000000001',
      provider: 'google',
      model_pattern: pattern,
      input_per_m: '0.600000',
      output_per_m: '1.500000',
      cached_input_per_m: null,
      max_output_tokens: null,
      is_active: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const builtin = list.json.find((r: Json) => r.org_id === null && r.provider === 'openai' && r.model_pattern === 'gpt-4o-mini*');
    expect(builtin).toMatchObject({ input_per_m: '0.150000', output_per_m: '0.600000', cached_input_per_m: '0.075000' });

    expect((await admin('DELETE', `/pricing/${put.json.id}`)).json).toEqual({ id: put.json.id, deleted: true });
    expect((await admin('GET', '/pricing')).json.some((r: Json) => r.id === put.json.id)).toBe(false);
    expect((await admin('GET', '/pricing?include_inactive=true')).json.find((r: Json) => r.id === put.json.id)).toMatchObject({
      is_active: false,
    });
    expect((await admin('DELETE', '/pricing/not-a-uuid')).status).toBe(400);
    expect((await admin('DELETE', `/pricing/${randomUUID()}`)).status).toBe(404);
  });

  it('PUT/GET/DELETE /projects/{id}/budget; a hard cap of 0 refuses priced requests with the project header scope', async () => {
    const own = token;
    const put = await admin('PUT', `/projects/${projectId}/budget`, { warn_threshold_usd: '5', hard_cap_usd: 0, reset_period: 'monthly' });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({
      project_id: projectId,
      warn_threshold_usd: '5.000000',
      hard_cap_usd: '0.000000',
      reset_period: 'monthly',
      current_usd: expect.any(Number),
      period_key: new Date().toISOString().slice(0, 7),
    });
    const refused = await chat(own.token_id);
    expect(refused.status).toBe(402);
    expect(refused.json.error.details).toMatchObject({ scope: 'project', period: 'monthly', limit_usd: 0 });
    expect((await admin('GET', `/projects/${projectId}/budget`)).json.reset_period).toBe('monthly');
    expect((await admin('PUT', `/projects/${projectId}/budget`, { reset_period: 'yearly' })).status).toBe(422);
    expect((await admin('PUT', `/projects/${projectId}/budget`, { warn_threshold_usd: -1, reset_period: 'daily' })).status).toBe(422);
    expect((await admin('GET', '/projects/not-a-uuid/budget')).status).toBe(400);
    expect((await admin('GET', `/projects/${randomUUID()}/budget`)).status).toBe(404);
    expect((await admin('GET', `/projects/${DEFAULT_PROJECT_ID}/budget`)).status).toBe(404);

    const raised = await admin('PUT', `/projects/${projectId}/budget`, {
      warn_threshold_usd: null,
      hard_cap_usd: 10,
      reset_period: 'monthly',
    });
    expect(raised.json.hard_cap_usd).toBe('10.000000');
    const admitted = await chat(own.token_id);
    expect(admitted.status).toBe(200);
    expect(admitted.headers['x-ailink-budget-remaining-project']).toMatch(/^9\.99\d{2}$/);
    expect((await admin('DELETE', `/projects/${projectId}/budget`)).status).toBe(204);
    expect((await admin('GET', `/projects/${projectId}/budget`)).status).toBe(404);
    const free = await chat(own.token_id);
    expect(free.status).toBe(200);
    expect(free.headers['x-ailink-budget-remaining-project']).toBeUndefined();
  });

  it('sessions: first use creates the entity; PATCH status pauses (403 policy_denied) and completes; PUT spend-cap', async () => {
    const sid = `routes-${randomUUID()}`;
    const first = await inject(
      'POST',
      '/v1/chat/completions',
      { authorization: `Bearer ${token.token_id}`, 'x-session-id': sid, 'x-properties': '{"run":7}' },
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      },
    );
    expect(first.status).toBe(200);
    const entity = await admin('GET', `/sessions/${sid}/entity?project_id=${projectId}`);
    expect(entity.status).toBe(200);
    expect(entity.json).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      session_id: sid,
      project_id: projectId,
      token_id: token.id,
      status: 'active',
      spend_cap_usd: null,
      total_cost_usd: expect.stringMatching(/^\d+\.\d{6}$/),
      total_tokens: expect.any(Number),
      total_requests: expect.any(Number),
      metadata: { run: 7 },
      created_at: expect.any(String),
      updated_at: expect.any(String),
      completed_at: null,
    });
    const paused = await admin('PATCH', `/sessions/${sid}/status?project_id=${projectId}`, { status: 'paused' });
    expect(paused.json.status).toBe('paused');
    const refused = await inject(
      'POST',
      '/v1/chat/completions',
      { authorization: `Bearer ${token.token_id}`, 'x-session-id': sid },
      { model: 'gpt-4o-mini', messages: [] },
    );
    expect(refused.status).toBe(403);
    expect(refused.json.error).toMatchObject({ code: 'policy_denied', type: 'permission_error', details: { reason: 'session_paused' } });
    expect((await admin('PATCH', `/sessions/${sid}/status?project_id=${projectId}`, { status: 'active' })).status).toBe(200);
    const capped = await admin('PUT', `/sessions/${sid}/spend-cap?project_id=${projectId}`, { spend_cap_usd: 0 });
    expect(capped.json.spend_cap_usd).toBe('0.000000');
    const overCap = await chat(token.token_id, {});
    expect(overCap.status).toBe(200); // no session header: the session cap does not apply
    const sessionCapped = await inject(
      'POST',
      '/v1/chat/completions',
      { authorization: `Bearer ${token.token_id}`, 'x-session-id': sid },
      { model: 'gpt-4o-mini', messages: [] },
    );
    expect(sessionCapped.status).toBe(402);
    expect(sessionCapped.json.error.details).toMatchObject({ scope: 'session', limit_usd: 0 });
    const done = await admin('PATCH', `/sessions/${sid}/status?project_id=${projectId}`, { status: 'completed' });
    expect(done.json).toMatchObject({ status: 'completed', completed_at: expect.any(String) });
    expect((await admin('PATCH', `/sessions/${sid}/status?project_id=${projectId}`, { status: 'active' })).status).toBe(422);
    expect((await admin('PATCH', `/sessions/${sid}/status?project_id=${projectId}`, { status: 'bogus' })).status).toBe(422);
    const after = await inject(
      'POST',
      '/v1/chat/completions',
      { authorization: `Bearer ${token.token_id}`, 'x-session-id': sid },
      { model: 'gpt-4o-mini', messages: [] },
    );
    expect(after.json.error.details).toEqual({ reason: 'session_completed' });
    expect((await admin('GET', '/sessions/unknown-session/entity')).status).toBe(404);
  });
});
