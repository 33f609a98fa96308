import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { loadConfig } from '@ailink/gateway-core';
import { MockUpstream, TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { API_PREFIX, createGateway } from './create-gateway';

const ADMIN_KEY = 'approvals-proxy-admin-key-0123456789';
type Json = any;

/**
 * Human approval in the running proxy (approvals-webhooks-anomalies.md §1; proxy.md §7 steps 11 and
 * 16), on two gateway instances sharing PostgreSQL and Redis: a request held on one instance is
 * released by a decision made on the other, forwarded exactly once, and audited with its approval.
 */
describe('approvals in the proxy (two instances)', () => {
  const keyPrefix = `approvalsproxy${randomBytes(4).toString('hex')}:`;
  const upstream = new MockUpstream();
  const orgId = randomUUID();
  const projectId = randomUUID();
  /** A project whose hard budget is 0: every priced request is over it. */
  const brokeProjectId = randomUUID();
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  let ds: DataSource;

  async function inject(app: NestFastifyApplication, method: string, url: string, headers: Record<string, string>, body?: unknown) {
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
  const admin = (app: NestFastifyApplication, method: string, path: string, body?: unknown) =>
    inject(app, method, `/${API_PREFIX}${path}`, { 'x-admin-key': ADMIN_KEY }, body);

  /** A token whose only policy requires approval with these parameters. */
  async function tokenRequiring(
    params: Record<string, unknown>,
    logLevel = 1,
    project = projectId,
  ): Promise<{ id: string; secret: string; policy: string }> {
    const policy = await admin(a, 'POST', '/policies', {
      name: `hitl-${randomUUID()}`,
      project_id: project,
      rules: [
        { when: { field: 'request.path', op: 'ends_with', value: '/chat/completions' }, then: { action: 'require_approval', ...params } },
      ],
    });
    expect(policy.status).toBe(201);
    const token = await admin(a, 'POST', '/tokens', {
      name: `hitl-${randomUUID()}`,
      upstream_url: `${upstream.url}/v1`,
      project_id: project,
      policy_ids: [policy.json.id],
      log_level: logLevel,
    });
    expect(token.status).toBe(201);
    return { id: token.json.id, secret: token.json.token_id, policy: policy.json.id };
  }

  const chat = (app: NestFastifyApplication, secret: string, content: string, headers: Record<string, string> = {}) =>
    inject(
      app,
      'POST',
      '/v1/chat/completions',
      { authorization: `Bearer ${secret}`, ...headers },
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content }],
      },
    );

  const forwarded = (content: string) => upstream.requests.filter((r) => r.body.includes(content)).length;

  async function pendingApproval(tokenId: string): Promise<Json> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const list = await admin(b, 'GET', `/approvals?project_id=${projectId}&token_id=${tokenId}&status=pending`);
      if (list.json?.length) return list.json[0];
      if (Date.now() > deadline) throw new Error('no pending approval appeared');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function auditOf(requestId: string): Promise<Json> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const rows = await ds.query(
        `SELECT policy_result, hitl_required, hitl_decision, hitl_latency_ms, approval_id::text AS approval_id, upstream_status
           FROM audit_logs WHERE request_id = $1`,
        [requestId],
      );
      if (rows[0]) return rows[0];
      if (Date.now() > deadline) throw new Error(`no audit record for ${requestId}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  beforeAll(async () => {
    await upstream.start();
    const env = {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_ADMIN_KEY: ADMIN_KEY,
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
      AILINK_PORTAL_DIR: mkdtempSync(join(tmpdir(), 'ailink-noportal-')),
      AILINK_AUDIT_FLUSH_MS: '50',
    };
    const config = () =>
      loadConfig(
        { ...env, AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-approvals-proxy-')) },
        { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
      );
    a = await createGateway(config(), pino({ level: 'silent' }));
    b = await createGateway(config(), pino({ level: 'silent' }));
    ds = a.get(DataSource);
    await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, 'approvals-proxy')`, [orgId]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'approvals-proxy')`, [projectId, orgId]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'approvals-broke')`, [brokeProjectId, orgId]);
  }, 60_000);

  afterAll(async () => {
    await ds?.query('DELETE FROM organizations WHERE id = $1', [orgId]);
    await a?.close();
    await b?.close();
    await upstream.stop();
    await deleteRedisPrefix(keyPrefix);
  });

  it('wait mode: held on A, approved on B → forwarded once, with x-ailink-approval-id and an audited decision', async () => {
    const token = await tokenRequiring({ mode: 'wait', timeout: '1m' });
    const held = chat(a, token.secret, 'wait-approve', { 'x-request-id': 'client-wait-approve' });
    const approval = await pendingApproval(token.id);
    expect(approval).toMatchObject({
      token_id: token.id,
      project_id: projectId,
      mode: 'wait',
      status: 'pending',
      request_method: 'POST',
      request_path: '/v1/chat/completions',
      policy_id: token.policy,
      policy_version: 1,
      fallback: 'deny',
      request_summary: { method: 'POST', path: '/v1/chat/completions', model: 'gpt-4o-mini', upstream: `${upstream.url}/v1` },
    });
    expect(approval.idempotency_key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(approval.request_summary.body_preview).toContain('wait-approve');
    expect(forwarded('wait-approve')).toBe(0);
    const decided = await admin(b, 'POST', `/approvals/${approval.id}/decision`, { decision: 'approve', comment: 'ok' });
    expect(decided.json).toEqual({ id: approval.id, status: 'approved', updated: true });
    const response = await held;
    expect(response.status).toBe(200);
    expect(response.headers['x-ailink-approval-id']).toBe(approval.id);
    expect(forwarded('wait-approve')).toBe(1);
    const after = (await admin(a, 'GET', `/approvals/${approval.id}`)).json;
    expect(after).toMatchObject({ status: 'approved', decision_comment: 'ok', decision_channel: 'api', reviewed_by: 'admin_key' });
    expect(after.consumed_at).not.toBeNull();
    const audit = await auditOf(String(response.headers['x-request-id']));
    expect(audit).toMatchObject({ policy_result: 'approved', hitl_required: true, hitl_decision: 'approved', approval_id: approval.id });
    expect(audit.hitl_latency_ms).toBeGreaterThan(0);

    // The decision is in the admin audit trail, with the approval before and after.
    const deadline = Date.now() + 5000;
    let trail: Json[] = [];
    while (trail.length === 0 && Date.now() < deadline) {
      trail = await ds.query(`SELECT resource_kind, before, after FROM admin_audit_log WHERE resource_id = $1`, [approval.id]);
      if (trail.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ resource_kind: 'approval', before: { status: 'pending' }, after: { status: 'approved' } });
  });

  it('wait mode: rejected → 403 approval_rejected, nothing forwarded', async () => {
    const token = await tokenRequiring({});
    const held = chat(b, token.secret, 'wait-reject');
    const approval = await pendingApproval(token.id);
    expect((await admin(a, 'POST', `/approvals/${approval.id}/decide`, { decision: 'rejected' })).json.updated).toBe(true);
    const response = await held;
    expect(response.status).toBe(403);
    expect(response.json.error).toMatchObject({ code: 'approval_rejected', type: 'permission_error' });
    expect(forwarded('wait-reject')).toBe(0);
    expect((await auditOf(String(response.headers['x-request-id']))).policy_result).toBe('rejected');
  });

  it('wait mode: not decided in time → 408 approval_timeout; fallback allow → forwarded', async () => {
    const deny = await tokenRequiring({ timeout: '1s' });
    const started = Date.now();
    const timedOut = await chat(a, deny.secret, 'wait-timeout');
    expect(timedOut.status).toBe(408);
    expect(timedOut.json.error).toMatchObject({ code: 'approval_timeout', type: 'timeout_error' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(forwarded('wait-timeout')).toBe(0);
    const allow = await tokenRequiring({ timeout: '1s', fallback: 'allow' });
    const allowed = await chat(a, allow.secret, 'wait-fallback-allow');
    expect(allowed.status).toBe(200);
    expect(forwarded('wait-fallback-allow')).toBe(1);
    expect(await auditOf(String(allowed.headers['x-request-id']))).toMatchObject({
      hitl_decision: 'timeout_allowed',
      policy_result: 'allowed',
    });
  });

  it('async mode: 202 with the approval id; the retry with the same key is forwarded once approved, then asks anew', async () => {
    const token = await tokenRequiring({ mode: 'async', timeout: '1h' });
    const key = { 'x-ailink-idempotency-key': `job-${randomUUID()}` };
    const first = await chat(a, token.secret, 'async-approve', key);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ approval_id: expect.any(String), status: 'pending', expires_at: expect.any(String) });
    expect(first.headers['x-ailink-approval-id']).toBe(first.json.approval_id);
    expect(first.headers['retry-after']).toBe('5');
    expect(new Date(first.json.expires_at).getTime() - Date.now()).toBeGreaterThan(3500_000);
    const again = await chat(b, token.secret, 'async-approve', key);
    expect(again).toMatchObject({ status: 202, json: { approval_id: first.json.approval_id } });
    expect((await auditOf(String(first.headers['x-request-id']))).policy_result).toBe('pending');
    // The same key for another body is refused.
    const other = await chat(a, token.secret, 'async-other-body', key);
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe('idempotency_conflict');

    await admin(b, 'POST', `/approvals/${first.json.approval_id}/decision`, { decision: 'approved' });
    // Two concurrent retries: exactly one is forwarded. The other either raced it to the consumption
    // (409 idempotency_conflict) or came after it and asked for a new approval (202).
    const retries = await Promise.all([chat(a, token.secret, 'async-approve', key), chat(b, token.secret, 'async-approve', key)]);
    const statuses = retries.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([202, 409]).toContain(statuses[1]);
    expect(forwarded('async-approve')).toBe(1);
    const next = await chat(a, token.secret, 'async-approve', key);
    expect(next.status).toBe(202);
    expect(next.json.approval_id).not.toBe(first.json.approval_id);
  });

  it('caps pending approvals per token (429 approval_limit_reached)', async () => {
    const token = await tokenRequiring({ mode: 'async' });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await chat(i % 2 ? a : b, token.secret, `cap-${i}`)).status);
    expect(statuses).toEqual(Array(10).fill(202));
    const refused = await chat(a, token.secret, 'cap-10');
    expect(refused.status).toBe(429);
    expect(refused.json.error).toMatchObject({ code: 'approval_limit_reached', type: 'rate_limit_error' });
  });

  it('streams approval_requested and approval_decided of the project over SSE', async () => {
    await b.listen(0, '127.0.0.1');
    const address = b.getHttpServer().address() as { port: number };
    const abort = new AbortController();
    const response = await fetch(`http://127.0.0.1:${address.port}/${API_PREFIX}/approvals/stream?project_id=${projectId}`, {
      headers: { 'x-admin-key': ADMIN_KEY },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const read = async (until: (t: string) => boolean) => {
      const deadline = Date.now() + 5000;
      while (!until(text)) {
        if (Date.now() > deadline) throw new Error(`stream so far: ${text}`);
        const chunk = await reader.read();
        if (chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
    };
    try {
      await read((t) => t.includes(': connected'));
      const token = await tokenRequiring({ mode: 'async' });
      const pending = await chat(a, token.secret, 'sse-watch');
      await read((t) => t.includes('event: approval_requested'));
      await admin(a, 'POST', `/approvals/${pending.json.approval_id}/decision`, { decision: 'reject' });
      await read((t) => t.includes('event: approval_decided'));
      const frames = text
        .split('\n\n')
        .filter((f) => f.startsWith('event: '))
        .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)));
      expect(frames.find((f) => f.event_type === 'approval_requested')).toMatchObject({
        project_id: projectId,
        token_id: token.id,
        details: { approval_id: pending.json.approval_id, mode: 'async', method: 'POST', path: '/v1/chat/completions' },
      });
      expect(frames.find((f) => f.event_type === 'approval_decided')).toMatchObject({
        details: { approval_id: pending.json.approval_id, decision: 'rejected', decided_by: 'admin_key', channel: 'api' },
      });
    } finally {
      abort.abort();
    }
  });

  it('async mode: a 202 takes its rate-limit entries back, so polling does not use up the quota', async () => {
    const policy = await admin(a, 'POST', '/policies', {
      name: `hitl-limited-${randomUUID()}`,
      project_id: projectId,
      rules: [
        { when: { always: true }, then: { action: 'rate_limit', window: '1m', max_requests: 2 } },
        {
          when: { field: 'request.path', op: 'ends_with', value: '/chat/completions' },
          then: { action: 'require_approval', mode: 'async' },
        },
      ],
    });
    expect(policy.status).toBe(201);
    const token = await admin(a, 'POST', '/tokens', {
      name: `hitl-limited-${randomUUID()}`,
      upstream_url: `${upstream.url}/v1`,
      project_id: projectId,
      policy_ids: [policy.json.id],
    });
    const secret = token.json.token_id;
    const key = { 'x-ailink-idempotency-key': `poll-${randomUUID()}` };
    const polls = [];
    for (let i = 0; i < 5; i++) polls.push(await chat(i % 2 ? b : a, secret, 'poll-me', key));
    expect(polls.map((p) => p.status)).toEqual([202, 202, 202, 202, 202]);
    // Requests that are not sent for approval still count: two admitted, the third refused.
    const models = [];
    for (let i = 0; i < 3; i++) models.push((await inject(a, 'GET', '/v1/models', { authorization: `Bearer ${secret}` })).status);
    expect(models).toEqual([200, 200, 429]);
  });

  it('checks spend before asking: a cap already reached answers 402 and requests no approval', async () => {
    const budget = await admin(a, 'PUT', `/projects/${brokeProjectId}/budget`, { hard_cap_usd: 0, reset_period: 'daily' });
    expect(budget.status).toBe(200);
    const token = await tokenRequiring({ mode: 'async', timeout: '1h' }, 1, brokeProjectId);
    for (const app of [a, b]) {
      const response = await chat(app, token.secret, 'cannot-pay');
      expect(response.status).toBe(402);
      expect(response.json.error).toMatchObject({
        code: 'spend_cap_reached',
        details: { scope: 'project', period: 'daily', limit_usd: 0 },
      });
      expect(response.headers['x-ailink-approval-id']).toBeUndefined();
    }
    expect(await ds.query('SELECT 1 FROM approval_requests WHERE token_id = $1', [token.id])).toEqual([]);
    expect(forwarded('cannot-pay')).toBe(0);
  });

  it('guards the session before asking: a paused session is refused, not sent for approval again', async () => {
    const token = await tokenRequiring({ mode: 'async', timeout: '1h' });
    const session = { 'x-session-id': `sess-${randomUUID()}`, 'x-ailink-idempotency-key': `job-${randomUUID()}` };
    const first = await chat(a, token.secret, 'paused-session', session);
    expect(first.status).toBe(202);
    const deadline = Date.now() + 5000;
    let paused = await admin(a, 'PATCH', `/sessions/${session['x-session-id']}/status?project_id=${projectId}`, { status: 'paused' });
    while (paused.status === 404 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      paused = await admin(a, 'PATCH', `/sessions/${session['x-session-id']}/status?project_id=${projectId}`, { status: 'paused' });
    }
    expect(paused.status).toBe(200);
    const again = await chat(b, token.secret, 'paused-session', session);
    expect(again.status).toBe(403);
    expect(again.json.error.code).toBe('policy_denied');
    expect(again.headers['x-ailink-approval-id']).toBeUndefined();
    expect(forwarded('paused-session')).toBe(0);
  });

  it('does not create approvals for tokens whose policies require none', async () => {
    const token = await admin(a, 'POST', '/tokens', { name: 'plain', upstream_url: `${upstream.url}/v1`, project_id: projectId });
    const response = await chat(a, token.json.token_id, 'plain-request');
    expect(response.status).toBe(200);
    expect(response.headers['x-ailink-approval-id']).toBeUndefined();
    expect(await ds.query('SELECT 1 FROM approval_requests WHERE token_id = $1', [token.json.id])).toEqual([]);
  });
});
