import { randomBytes, randomUUID } from 'node:crypto';
import { MockUpstream } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

type Json = any;

interface Reply {
  status: number;
  json: Json;
  headers: Headers;
}

/**
 * Human-in-the-loop approvals through the built gateway (approvals-webhooks-anomalies.md §1): two
 * processes sharing PostgreSQL and one Redis key prefix (one deployment). A request held in `wait`
 * mode on one process is released by a decision made through the other, and forwarded exactly once;
 * rejections answer 403, timeouts 408; `async` mode answers 202 and forwards the retry with the same
 * idempotency key once approved.
 */
describe('approvals across two gateway processes', () => {
  const upstream = new MockUpstream();
  const adminKey = `test_admin_${randomBytes(16).toString('hex')}`;
  const env = {
    AILINK_ADMIN_KEY: adminKey,
    AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
    AILINK_REDIS_KEY_PREFIX: `e2eappr${randomBytes(4).toString('hex')}:`,
    AILINK_ACCESS_LOG: 'false',
  };
  let a: GatewayProcess;
  let b: GatewayProcess;

  async function call(gw: GatewayProcess, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Reply> {
    const r = await fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json: Json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: r.status, json, headers: r.headers };
  }
  const api = (gw: GatewayProcess, method: string, path: string, body?: unknown) =>
    call(gw, method, `/api/v1${path}`, { 'x-admin-key': adminKey }, body);
  const chat = (gw: GatewayProcess, secret: string, content: string, headers: Record<string, string> = {}) =>
    call(
      gw,
      'POST',
      '/v1/chat/completions',
      { authorization: `Bearer ${secret}`, ...headers },
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content }],
      },
    );
  const forwarded = (content: string) => upstream.requests.filter((r) => r.body.includes(content)).length;

  async function tokenRequiring(params: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const policy = await api(a, 'POST', '/policies', {
      name: `hitl-${randomUUID()}`,
      rules: [{ then: { action: 'require_approval', ...params } }],
    });
    expect(policy.status).toBe(201);
    const token = await api(a, 'POST', '/tokens', {
      name: `hitl-${randomUUID()}`,
      upstream_url: `${upstream.url}/v1`,
      policy_ids: [policy.json.id],
    });
    expect(token.status).toBe(201);
    return { id: token.json.id, secret: token.json.token_id };
  }

  async function pendingApproval(gw: GatewayProcess, tokenId: string): Promise<Json> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const list = await api(gw, 'GET', `/approvals?token_id=${tokenId}&status=pending`);
      expect(list.status).toBe(200);
      if (list.json.length) return list.json[0];
      if (Date.now() > deadline) throw new Error('no pending approval appeared');
      await new Promise((r) => setTimeout(r, 25));
    }
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

  it('wait mode: approved → forwarded exactly once, with x-ailink-approval-id', async () => {
    const token = await tokenRequiring({ mode: 'wait', timeout: '2m' });
    const held = chat(a, token.secret, 'e2e-wait-approve');
    const approval = await pendingApproval(a, token.id);
    expect(approval).toMatchObject({ mode: 'wait', status: 'pending', request_method: 'POST', request_path: '/v1/chat/completions' });
    await new Promise((r) => setTimeout(r, 200));
    expect(forwarded('e2e-wait-approve')).toBe(0);
    const decided = await api(a, 'POST', `/approvals/${approval.id}/decision`, { decision: 'approve' });
    expect(decided.json).toEqual({ id: approval.id, status: 'approved', updated: true });
    const response = await held;
    expect(response.status).toBe(200);
    expect(response.json.choices[0].message.content).toBeDefined();
    expect(response.headers.get('x-ailink-approval-id')).toBe(approval.id);
    expect(forwarded('e2e-wait-approve')).toBe(1);
    // Deciding again changes nothing.
    expect((await api(b, 'POST', `/approvals/${approval.id}/decide`, { decision: 'reject' })).json).toEqual({
      id: approval.id,
      status: 'approved',
      updated: false,
    });
  });

  it('wait mode: rejected → 403 approval_rejected, nothing forwarded', async () => {
    const token = await tokenRequiring({});
    const held = chat(a, token.secret, 'e2e-wait-reject');
    const approval = await pendingApproval(b, token.id);
    await api(b, 'POST', `/approvals/${approval.id}/decision`, { decision: 'reject', comment: 'not today' });
    const response = await held;
    expect(response.status).toBe(403);
    expect(response.json.error).toMatchObject({ code: 'approval_rejected', type: 'permission_error', request_id: expect.any(String) });
    expect(forwarded('e2e-wait-reject')).toBe(0);
  });

  it('wait mode: not decided in time → 408 approval_timeout, and the approval reads as expired', async () => {
    const token = await tokenRequiring({ timeout: '2s' });
    const started = Date.now();
    const response = await chat(b, token.secret, 'e2e-wait-timeout');
    expect(response.status).toBe(408);
    expect(response.json.error).toMatchObject({ code: 'approval_timeout', type: 'timeout_error' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(forwarded('e2e-wait-timeout')).toBe(0);
    const id = response.headers.get('x-ailink-approval-id') as string;
    expect((await api(a, 'GET', `/approvals/${id}`)).json.status).toBe('expired');
  });

  it('async mode: 202, then the retry with the same idempotency key is forwarded once after approval', async () => {
    const token = await tokenRequiring({ mode: 'async', timeout: '1h' });
    const key = { 'x-ailink-idempotency-key': `e2e-${randomUUID()}` };
    const first = await chat(a, token.secret, 'e2e-async', key);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ approval_id: expect.any(String), status: 'pending', expires_at: expect.any(String) });
    expect(first.headers.get('x-ailink-approval-id')).toBe(first.json.approval_id);
    expect(first.headers.get('retry-after')).toBe('5');
    const polled = await chat(b, token.secret, 'e2e-async', key);
    expect(polled.status).toBe(202);
    expect(polled.json.approval_id).toBe(first.json.approval_id);
    expect(forwarded('e2e-async')).toBe(0);

    expect((await api(b, 'POST', `/approvals/${first.json.approval_id}/decision`, { decision: 'approved' })).json.updated).toBe(true);
    const retried = await chat(a, token.secret, 'e2e-async', key);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('x-ailink-approval-id')).toBe(first.json.approval_id);
    expect(forwarded('e2e-async')).toBe(1);
    // Single use: the next identical request needs a new approval.
    const again = await chat(b, token.secret, 'e2e-async', key);
    expect(again.status).toBe(202);
    expect(again.json.approval_id).not.toBe(first.json.approval_id);
    expect(forwarded('e2e-async')).toBe(1);
  });

  it.each([1, 2, 3, 4, 5])('a decision made through the other process releases a waiting request (run %i)', async (run) => {
    const token = await tokenRequiring({ mode: 'wait', timeout: '2m' });
    const content = `e2e-cross-${run}-${randomUUID()}`;
    const held = chat(a, token.secret, content);
    const approval = await pendingApproval(b, token.id);
    const decidedAt = Date.now();
    expect((await api(b, 'POST', `/approvals/${approval.id}/decision`, { decision: 'approve' })).json.updated).toBe(true);
    const response = await held;
    expect(response.status).toBe(200);
    // Delivered through Redis pub/sub, well before the 5-second safety-net re-read.
    expect(Date.now() - decidedAt).toBeLessThan(2500);
    expect(forwarded(content)).toBe(1);
  });

  it('a waiting client that goes away leaves the approval pending; the identical request later reuses it', async () => {
    const token = await tokenRequiring({ mode: 'wait', timeout: '2m' });
    const abort = new AbortController();
    const gone = fetch(`${a.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'e2e-disconnect' }] }),
      signal: abort.signal,
    }).catch(() => null);
    const approval = await pendingApproval(a, token.id);
    abort.abort();
    await gone;
    await new Promise((r) => setTimeout(r, 300));
    expect((await api(a, 'GET', `/approvals/${approval.id}`)).json.status).toBe('pending');
    const retry = chat(b, token.secret, 'e2e-disconnect');
    await new Promise((r) => setTimeout(r, 300));
    await api(a, 'POST', `/approvals/${approval.id}/decision`, { decision: 'approve' });
    const response = await retry;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ailink-approval-id')).toBe(approval.id);
    expect(forwarded('e2e-disconnect')).toBe(1);
  });
});
