import { ErrorCode, GatewayError, publicTokenId } from '@ailink/gateway-core';
import { ProxyContext, type ProxyToken } from '@ailink/gateway-proxy';
import { buildAuditRecord, policyResultOf } from './audit-record.builder';

const SECRET = 'ailink_v1_00000000_tok_0123456789abcdef0123456789abcdef';
const PUBLIC_ID = publicTokenId(SECRET);
const PROJECT = '00000000-0000-0000-0000-000000000001';
const TEAM = '11111111-1111-4111-8111-111111111111';

function token(logLevel: 0 | 1 | 2): ProxyToken {
  return {
    id: PUBLIC_ID,
    projectId: PROJECT,
    name: 'agent',
    credentialId: null,
    upstreams: [],
    policyIds: [],
    logLevel,
    circuitBreaker: {
      enabled: false,
      failure_threshold: 5,
      recovery_cooldown_secs: 30,
      half_open_max_requests: 1,
      min_sample_size: 10,
    },
    tags: { env: 'prod' },
    teamId: TEAM,
  };
}

/** A completed request: 1 s in total, 800 ms of it upstream, first byte after 300 ms. */
function completed(logLevel: 0 | 1 | 2, options: { headers?: Record<string, string>; rawUrl?: string } = {}): ProxyContext {
  const headers = {
    authorization: `Bearer ${SECRET}`,
    'content-type': 'application/json',
    'user-agent': 'openai-python/1.0',
    'x-ailink-agent-name': 'billing-bot',
    'x-user-id': 'user-42',
    'x-tenant-id': 'acme',
    'x-request-id': 'client-corr-1',
    'x-session-id': 'sess-1',
    'x-parent-span-id': 'span-9',
    'x-properties': '{"feature":"invoices","n":2}',
    ...options.headers,
  };
  const ctx = new ProxyContext(
    'req_' + 'a'.repeat(32),
    'post',
    '/v1/chat/completions',
    headers,
    '127.0.0.1',
    options.rawUrl ?? `/v1/chat/completions?key=${SECRET}&x=1`,
  );
  ctx.elapsedMs = () => 1000.12345;
  ctx.token = token(logLevel);
  ctx.tokenCarrier = 'authorization';
  ctx.body = Buffer.from(
    JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'I am jane@example.com, SSN 123-45-6789' }] }),
  );
  ctx.json = JSON.parse(ctx.body.toString());
  ctx.streaming = true;
  ctx.upstreamUrl = 'https://api.openai.com/v1/chat/completions?api_key=sk-secret';
  ctx.upstreamStatus = 200;
  ctx.upstreamMs = 800;
  ctx.ttfbMs = 300;
  ctx.usage = { prompt_tokens: 12, completion_tokens: 100, total_tokens: 112 };
  ctx.model = 'gpt-4o-mini-2024-07-18';
  ctx.finishReason = 'stop';
  ctx.responseBody = Buffer.from('{"choices":[{"message":{"content":"Call me at 415-555-2671"}}]}');
  ctx.responseHeaders = { 'content-type': 'application/json', 'set-cookie': 'session=abc', 'x-request-id': 'up-1' };
  ctx.status = 200;
  return ctx;
}

describe('buildAuditRecord', () => {
  const now = Date.parse('2026-03-01T12:00:01.000Z');

  it('produces no record for a request without a resolved token', () => {
    const ctx = new ProxyContext('req_1', 'GET', '/v1/models', {}, '127.0.0.1', '/v1/models');
    ctx.error = new GatewayError(ErrorCode.TokenNotFound, 'no');
    expect(buildAuditRecord(ctx)).toBeNull();
  });

  it('fills the metadata fields from the context (log level 0: no bodies, no headers)', () => {
    const record = buildAuditRecord(completed(0), now);
    expect(record).toMatchObject({
      created_at: '2026-03-01T12:00:00.000Z',
      project_id: PROJECT,
      request_id: 'req_' + 'a'.repeat(32),
      token_id: PUBLIC_ID,
      method: 'POST',
      path: `/v1/chat/completions?key=${PUBLIC_ID}&x=1`,
      upstream_url: 'https://api.openai.com/v1/chat/completions',
      upstream_status: 200,
      response_latency_ms: 1000,
      overhead_ms: 200.123,
      ttft_ms: 300,
      agent_name: 'billing-bot',
      user_id: 'user-42',
      tenant_id: 'acme',
      external_request_id: 'client-corr-1',
      session_id: 'sess-1',
      parent_span_id: 'span-9',
      model: 'gpt-4o-mini-2024-07-18',
      prompt_tokens: 12,
      completion_tokens: 100,
      tokens_per_second: 142.832, // streaming: 100 tokens from the first byte (300 ms) to the end (1000.12 ms)
      is_streaming: true,
      finish_reason: 'stop',
      error_type: null,
      policy_result: 'allowed',
      log_level: 0,
      team_id: TEAM,
      tags: { env: 'prod' },
      custom_properties: { feature: 'invoices', n: 2 },
      bodies: null,
    });
    expect(record?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(JSON.stringify(record)).not.toContain('ailink_v1_');
  });

  it('keeps scrubbed bodies and masked headers at log level 1', () => {
    const record = buildAuditRecord(completed(1), now);
    const bodies = record?.bodies;
    expect(bodies?.request_body).toContain('[REDACTED_EMAIL]');
    expect(bodies?.request_body).toContain('[REDACTED_SSN]');
    expect(bodies?.request_body).not.toContain('jane@example.com');
    expect(bodies?.response_body).toContain('[REDACTED_PHONE]');
    expect(bodies?.request_headers).toMatchObject({ authorization: '***', 'x-user-id': 'user-42' });
    expect(bodies?.response_headers).toMatchObject({ 'set-cookie': '***', 'x-request-id': 'up-1' });
    expect(JSON.stringify(record)).not.toContain('ailink_v1_');
  });

  it('keeps raw bodies at log level 2, credential headers still masked', () => {
    const ctx = completed(2, { headers: { 'x-custom-key': 'injected-secret' } });
    ctx.credential = { id: 'c', mode: 'header', header: 'X-Custom-Key', secret: Buffer.from('s') };
    const bodies = buildAuditRecord(ctx, now)?.bodies;
    expect(bodies?.request_body).toContain('jane@example.com');
    expect(bodies?.response_body).toContain('415-555-2671');
    expect(bodies?.request_headers).toMatchObject({ authorization: '***', 'x-custom-key': '***', 'content-type': 'application/json' });
  });

  it('falls back to the user agent and to the request body model', () => {
    const ctx = completed(0, { headers: { 'x-ailink-agent-name': '' } });
    delete ctx.headers['x-ailink-agent-name'];
    ctx.model = undefined;
    const record = buildAuditRecord(ctx, now);
    expect(record?.agent_name).toBe('openai-python/1.0');
    expect(record?.model).toBe('gpt-4o-mini');
  });

  it('records a gateway refusal as denied, with the error code and the answered status', () => {
    const ctx = completed(0);
    ctx.upstreamStatus = undefined;
    ctx.status = undefined;
    ctx.upstreamMs = 0;
    ctx.usage = undefined;
    ctx.error = new GatewayError(ErrorCode.RateLimitExceeded, 'Rate limit exceeded');
    const record = buildAuditRecord(ctx, now);
    expect(record).toMatchObject({
      policy_result: 'denied',
      error_type: 'rate_limit_exceeded',
      upstream_status: 429,
      deny_reason: 'rate_limit',
      overhead_ms: 1000.123,
      tokens_per_second: null,
    });
  });

  it('fills the policy fields from the pre-phase outcome, merges action tags over token tags, and keeps waits out of overhead', () => {
    const ctx = completed(0);
    const policyId = '22222222-2222-4222-8222-222222222222';
    ctx.policy = {
      phase: 'pre',
      mode: 'enforce',
      evaluated: [{ policy_id: policyId, policy: 'guard', version: 3, mode: 'enforce', phase: 'pre', fired_rules: [0] }],
      actions: [],
      async_actions: [],
      shadow_violations: [{ policy_id: policyId, policy: 'guard', rule_index: 1, actions: ['deny'], outcome: 'would_block' }],
      tags: { env: 'from-policy', route: 'b' },
    };
    ctx.deliberateWaitMs = 150;
    const record = buildAuditRecord(ctx, now);
    expect(record).toMatchObject({
      policy_mode: 'enforce',
      policies_evaluated: [{ policy_id: policyId, policy: 'guard', version: 3, mode: 'enforce', phase: 'pre', fired_rules: [0] }],
      shadow_violations: [{ policy_id: policyId, policy: 'guard', rule_index: 1, actions: ['deny'], outcome: 'would_block' }],
      tags: { env: 'from-policy', route: 'b' },
      deny_reason: null,
      overhead_ms: 50.123,
    });

    ctx.error = new GatewayError(ErrorCode.PolicyDenied, "Request blocked by policy 'guard': no", { status: 451 });
    expect(buildAuditRecord(ctx, now)?.deny_reason).toBe("Request blocked by policy 'guard': no");
    ctx.error = new GatewayError(ErrorCode.UpstreamFailed, 'upstream down');
    expect(buildAuditRecord(ctx, now)?.deny_reason).toBeNull();
  });

  it('records no policy fields for a request no policy ran on', () => {
    const record = buildAuditRecord(completed(0), now);
    expect(record).toMatchObject({
      policy_mode: null,
      policies_evaluated: [],
      shadow_violations: [],
      tags: { env: 'prod' },
      fields_redacted: [],
      router_info: null,
      experiment_name: null,
      variant_name: null,
      async_findings: [],
    });
  });

  it('adds the post phase, redactions, routing, the experiment and async findings of the policy actions', () => {
    const ctx = completed(0);
    const pre = '22222222-2222-4222-8222-222222222222';
    const post = '33333333-3333-4333-8333-333333333333';
    ctx.policy = {
      phase: 'pre',
      mode: 'shadow',
      evaluated: [{ policy_id: pre, policy: 'pre', version: 1, mode: 'shadow', phase: 'pre', fired_rules: [0] }],
      actions: [],
      async_actions: [],
      shadow_violations: [{ policy_id: pre, policy: 'pre', rule_index: 0, actions: ['redact'], outcome: 'would_redact' }],
      tags: { route: 'a', stage: 'pre' },
    };
    ctx.postPolicy = {
      phase: 'post',
      mode: 'enforce',
      evaluated: [{ policy_id: post, policy: 'post', version: 2, mode: 'enforce', phase: 'post', fired_rules: [1] }],
      actions: [],
      async_actions: [],
      shadow_violations: [],
      tags: { stage: 'post' },
    };
    ctx.fieldsRedacted = ['email', 'field:password'];
    ctx.routerInfo = { strategy: 'round_robin', reason: 'round_robin', target: 'https://b.example', candidates: [{ model: 'm' }] };
    ctx.experimentName = 'exp';
    ctx.variantName = 'treatment';
    ctx.asyncFindings = [
      { policy_id: post, policy: 'post', rule_index: 2, action: 'validate_schema', phase: 'post', reason: '/ must be object' },
    ];
    const record = buildAuditRecord(ctx, now);
    expect(record).toMatchObject({
      policy_mode: 'enforce',
      policies_evaluated: [{ policy_id: pre }, { policy_id: post, phase: 'post' }],
      shadow_violations: [{ policy_id: pre, outcome: 'would_redact' }],
      tags: { env: 'prod', route: 'a', stage: 'post' },
      fields_redacted: ['email', 'field:password'],
      router_info: { strategy: 'round_robin', reason: 'round_robin', target: 'https://b.example', candidates: [{ model: 'm' }] },
      experiment_name: 'exp',
      variant_name: 'treatment',
      async_findings: [{ policy_id: post, action: 'validate_schema', reason: '/ must be object' }],
    });
    ctx.postPolicy = undefined;
    expect(buildAuditRecord(ctx, now)?.policy_mode).toBe('shadow');
  });

  it('maps refusals, approvals and upstream failures to policy_result', () => {
    const ctx = completed(0);
    const result = (code?: ErrorCode) => {
      ctx.error = code ? new GatewayError(code, 'x') : undefined;
      return policyResultOf(ctx);
    };
    expect(result()).toBe('allowed');
    expect(result(ErrorCode.PolicyDenied)).toBe('denied');
    expect(result(ErrorCode.ContentBlocked)).toBe('denied');
    expect(result(ErrorCode.SpendCapReached)).toBe('denied');
    expect(result(ErrorCode.ApprovalRejected)).toBe('rejected');
    expect(result(ErrorCode.ApprovalTimeout)).toBe('timeout');
    expect(result(ErrorCode.UpstreamFailed)).toBe('allowed');
    expect(result(ErrorCode.UpstreamTimeout)).toBe('allowed');
  });

  it('ignores X-Properties that is not a JSON object and clips long attribution values', () => {
    const ctx = completed(0, { headers: { 'x-properties': '[1,2]', 'x-user-id': 'u'.repeat(1000) } });
    const record = buildAuditRecord(ctx, now);
    expect(record?.custom_properties).toBeNull();
    expect(record?.user_id).toHaveLength(256);
  });
});
