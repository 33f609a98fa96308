import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { FiredPolicyAction, PolicyAction } from '@ailink/shared-contracts';
import type { AppConfig } from '@ailink/gateway-core';
import { ProxyContext } from '@ailink/gateway-proxy';
import { bodyDigest, derivedIdempotencyKey } from './approval-binding';
import type { ApprovalEvents } from './approval-events';
import type { ApprovalGate, ApprovalRequest, ApprovalResolution } from './approval-gate';
import type { ApprovalSignals, WaitOutcome } from './approval-signals';
import { ApprovalConsumeStage, ApprovalStage, idempotencyKeyOf } from './approval.stage';
import { DefaultApprovalBodyScrubber } from './body-scrubber';
import type { ApprovalRow, ApprovalsRepository } from './approvals.repository';

const TOKEN = 'tok_' + 'c'.repeat(24);
const SECRET = 'ailink_v1_00000000_tok_' + 'd'.repeat(32);
const APPROVAL_ID = '22222222-2222-4222-8222-222222222222';

function context(actions: PolicyAction[], logLevel: 0 | 1 | 2 = 1, headers: Record<string, string> = {}): ProxyContext {
  const ctx = new ProxyContext(
    'req_' + '1'.repeat(32),
    'post',
    '/v1/chat/completions',
    headers,
    '127.0.0.1',
    `/v1/chat/completions?key=${SECRET}`,
  );
  ctx.body = Buffer.from('{"model":"gpt-4o","messages":[{"role":"user","content":"mail me at ann@example.com"}]}');
  ctx.json = JSON.parse(ctx.body.toString());
  ctx.token = {
    id: TOKEN,
    projectId: '00000000-0000-0000-0000-000000000001',
    name: 'agent',
    credentialId: null,
    upstreams: [{ url: 'https://api.openai.com/v1', weight: 1, priority: 1 }],
    policyIds: [],
    logLevel,
    circuitBreaker: { enabled: false, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  ctx.policy = {
    phase: 'pre',
    mode: 'enforce',
    evaluated: [],
    actions: actions.map(
      (action, i): FiredPolicyAction => ({
        policy_id: '11111111-1111-4111-8111-111111111111',
        policy: 'hitl',
        policy_version: 1,
        rule_index: 0,
        action_index: i,
        action,
        status: action.action === 'require_approval' ? 'deferred' : 'applied',
      }),
    ),
    async_actions: [],
    shadow_violations: [],
    tags: {},
  };
  return ctx;
}

function row(overrides: Partial<ApprovalRow> = {}): ApprovalRow {
  const now = new Date();
  return {
    id: APPROVAL_ID,
    token_id: TOKEN,
    project_id: '00000000-0000-0000-0000-000000000001',
    idempotency_key: 'k',
    policy_id: '11111111-1111-4111-8111-111111111111',
    policy_version: 1,
    mode: 'wait',
    request_method: 'POST',
    request_path: '/v1/chat/completions',
    body_digest: 'x'.repeat(64),
    request_summary: { method: 'POST', path: '/v1/chat/completions', agent: null, upstream: null, model: null, body_preview: null },
    status: 'pending',
    reviewed_by: null,
    decision_channel: null,
    decision_comment: null,
    reviewed_at: null,
    expires_at: new Date(now.getTime() + 60_000),
    approved_until: null,
    consumed_at: null,
    fallback: 'deny',
    routing_choices: null,
    created_at: now,
    db_now: now,
    ...overrides,
  };
}

interface Harness {
  stage: ApprovalStage;
  requests: ApprovalRequest[];
  announced: string[];
  answered: string[];
}

function harness(resolution: ApprovalResolution | null, wait?: WaitOutcome): Harness {
  const requests: ApprovalRequest[] = [];
  const announced: string[] = [];
  const answered: string[] = [];
  const gate = {
    resolve: async (request: ApprovalRequest) => {
      requests.push(request);
      if (!resolution) throw new Error('the gate must not be asked');
      return resolution;
    },
  } as unknown as ApprovalGate;
  const signals = { wait: async () => wait ?? { status: 'aborted' } } as unknown as ApprovalSignals;
  const repository = { markAnswered: async (id: string) => void answered.push(id) } as unknown as ApprovalsRepository;
  const events = { requested: (r: ApprovalRow) => void announced.push(r.id) } as unknown as ApprovalEvents;
  const config = { hitlMaxWaitSecs: 1800 } as AppConfig;
  const logger = { info: () => undefined, warn: () => undefined } as unknown as Logger;
  const stage = new ApprovalStage(gate, signals, repository, events, new DefaultApprovalBodyScrubber(), config, logger);
  return { stage, requests, announced, answered };
}

describe('ApprovalStage', () => {
  it('does nothing (no lookup at all) when no require_approval action fired', async () => {
    const h = harness(null);
    const ctx = context([{ action: 'log' }]);
    await h.stage.run(ctx);
    ctx.policy = undefined;
    await h.stage.run(ctx);
    expect(h.requests).toHaveLength(0);
    expect(ctx.approval).toBeUndefined();
    expect(ctx.answer).toBeUndefined();
  });

  it('ignores require_approval in shadow-mode rules', async () => {
    const h = harness(null);
    const ctx = context([]);
    ctx.policy!.shadow_actions = [
      { ...(context([{ action: 'require_approval' }]).policy!.actions[0] as FiredPolicyAction), status: 'pending' },
    ];
    await h.stage.run(ctx);
    expect(h.requests).toHaveLength(0);
  });

  it('binds the request: token, upper-case method, path with tokens redacted, digest of the body as received', async () => {
    const h = harness({ kind: 'approved', row: row({ status: 'approved' }) });
    const ctx = context([{ action: 'require_approval', mode: 'wait' }]);
    await h.stage.run(ctx);
    const [request] = h.requests;
    expect(request.binding).toEqual({
      tokenId: TOKEN,
      method: 'POST',
      path: `/v1/chat/completions?key=tok_${createHash('sha256').update(SECRET).digest('hex').slice(0, 24)}`,
      bodyDigest: bodyDigest(ctx.body),
    });
    expect(request.idempotencyKey).toBe(derivedIdempotencyKey(request.binding));
    expect(request.summary).toMatchObject({ method: 'POST', model: 'gpt-4o', upstream: 'https://api.openai.com/v1' });
    expect(request.summary.body_preview).toContain('[REDACTED_EMAIL]');
    expect(request.summary.body_preview).not.toContain('ann@example.com');
    expect(JSON.stringify(request)).not.toContain(SECRET);
    expect(ctx.approval).toEqual({ id: APPROVAL_ID, decision: 'approved', latencyMs: null });
    expect(ctx.policy!.actions[0].status).toBe('applied');
  });

  it('keeps no body preview at log level 0', async () => {
    const h = harness({ kind: 'approved', row: row({ status: 'approved' }) });
    await h.stage.run(context([{ action: 'require_approval' }], 0));
    expect(h.requests[0].summary.body_preview).toBeNull();
  });

  it('answers 202 in async mode while pending, and announces a new approval once', async () => {
    const pending = row({ mode: 'async' });
    const h = harness({ kind: 'pending', row: pending, created: true });
    const ctx = context([{ action: 'require_approval', mode: 'async', timeout: '1h' }]);
    await h.stage.run(ctx);
    expect(ctx.answer).toEqual({
      status: 202,
      body: { approval_id: APPROVAL_ID, status: 'pending', expires_at: pending.expires_at.toISOString() },
      headers: { 'x-ailink-approval-id': APPROVAL_ID, 'retry-after': '5' },
    });
    expect(h.announced).toEqual([APPROVAL_ID]);
    expect(ctx.approval).toEqual({ id: APPROVAL_ID, decision: null, latencyMs: null });
  });

  it('holds a wait-mode request and goes on when it is approved', async () => {
    const approved = row({ status: 'approved' });
    const h = harness({ kind: 'pending', row: row(), created: false }, { status: 'approved', row: approved });
    const ctx = context([{ action: 'require_approval' }]);
    await h.stage.run(ctx);
    expect(h.announced).toEqual([]);
    expect(ctx.approval).toMatchObject({ id: APPROVAL_ID, decision: 'approved' });
    expect(ctx.approval?.latencyMs).not.toBeNull();
    expect(ctx.answer).toBeUndefined();
  });

  it('refuses a rejected request with 403 approval_rejected (answered once)', async () => {
    const h = harness({ kind: 'pending', row: row(), created: true }, { status: 'rejected', row: row({ status: 'rejected' }) });
    const ctx = context([{ action: 'require_approval' }]);
    await expect(h.stage.run(ctx)).rejects.toMatchObject({ code: 'approval_rejected', headers: { 'x-ailink-approval-id': APPROVAL_ID } });
    expect(h.answered).toEqual([APPROVAL_ID]);
    expect(ctx.approval?.decision).toBe('rejected');
  });

  it('applies the fallback on timeout: deny → 408 approval_timeout, allow → goes on (timeout_allowed)', async () => {
    const deny = harness({ kind: 'expired', row: row({ status: 'expired', fallback: 'deny' }) });
    const ctx = context([{ action: 'require_approval' }]);
    await expect(deny.stage.run(ctx)).rejects.toMatchObject({ code: 'approval_timeout' });
    expect(ctx.approval?.decision).toBe('timeout');
    const allow = harness({ kind: 'expired', row: row({ status: 'expired', fallback: 'allow' }) });
    const allowed = context([{ action: 'require_approval', fallback: 'allow' }]);
    await allow.stage.run(allowed);
    expect(allowed.approval?.decision).toBe('timeout_allowed');
  });

  it('answers 503 when the instance stops while holding a request (the approval stays pending)', async () => {
    const h = harness({ kind: 'pending', row: row(), created: false }, { status: 'shutdown' });
    const ctx = context([{ action: 'require_approval' }]);
    await expect(h.stage.run(ctx)).rejects.toMatchObject({ code: 'dependency_unavailable', headers: { 'retry-after': '1' } });
    expect(h.answered).toEqual([]);
  });

  it('ends with 499 and leaves the approval pending when the client goes away', async () => {
    const h = harness({ kind: 'pending', row: row(), created: false }, { status: 'aborted' });
    const ctx = context([{ action: 'require_approval' }]);
    await h.stage.run(ctx);
    expect(ctx.answer?.status).toBe(499);
    expect(ctx.approval?.decision).toBeNull();
  });
});

describe('ApprovalConsumeStage', () => {
  function consumer(result: boolean): { stage: ApprovalConsumeStage; calls: string[] } {
    const calls: string[] = [];
    const repository = {
      consume: async (id: string) => {
        calls.push(id);
        return result;
      },
    } as unknown as ApprovalsRepository;
    return { stage: new ApprovalConsumeStage(repository), calls };
  }

  it('consumes nothing for requests without a granted approval', async () => {
    const { stage, calls } = consumer(true);
    const ctx = context([]);
    await stage.run(ctx);
    ctx.approval = { id: APPROVAL_ID, decision: null, latencyMs: null };
    await stage.run(ctx);
    expect(calls).toEqual([]);
  });

  it('consumes a granted approval and names it in x-ailink-approval-id; already used → 409 idempotency_conflict', async () => {
    const ok = consumer(true);
    const ctx = context([]);
    ctx.approval = { id: APPROVAL_ID, decision: 'approved', latencyMs: 5 };
    await ok.stage.run(ctx);
    expect(ok.calls).toEqual([APPROVAL_ID]);
    expect(ctx.clientHeaders['x-ailink-approval-id']).toBe(APPROVAL_ID);
    const used = consumer(false);
    const again = context([]);
    again.approval = { id: APPROVAL_ID, decision: 'timeout_allowed', latencyMs: null };
    await expect(used.stage.run(again)).rejects.toMatchObject({ code: 'idempotency_conflict' });
  });
});

describe('idempotencyKeyOf', () => {
  const binding = { tokenId: TOKEN, method: 'POST', path: '/v1/x', bodyDigest: 'a'.repeat(64) };

  it('uses X-AILink-Idempotency-Key when sent, else the derived key; refuses keys over 255 characters', () => {
    expect(idempotencyKeyOf(context([], 1, { 'x-ailink-idempotency-key': ' job-42 ' }), binding)).toBe('job-42');
    expect(idempotencyKeyOf(context([]), binding)).toBe(derivedIdempotencyKey(binding));
    expect(() => idempotencyKeyOf(context([], 1, { 'x-ailink-idempotency-key': 'k'.repeat(256) }), binding)).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});
