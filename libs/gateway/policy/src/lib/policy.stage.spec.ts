import type { PolicyRule } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type AppConfig } from '@ailink/gateway-core';
import { ProxyContext } from '@ailink/gateway-proxy';
import { CacheInvalidationBus, MemoryKeyValueStore, TieredCacheFactory } from '@ailink/gateway-redis';
import type { PolicyEntity } from './entities/policy.entity';
import type { PoliciesRepository } from './policies.repository';
import { PolicyCache } from './policy-cache';
import { PolicyEvaluator } from './policy-evaluator';
import { PolicyActionsStage, PolicyEvaluateStage, PolicyStage } from './policy.stage';
import { CounterUsageReader, requestsThisHourKey, requestsTodayKey } from './usage-reader';

const PROJECT = '00000000-0000-0000-0000-000000000001';
const OTHER_PROJECT = '00000000-0000-0000-0000-000000000002';
let sequence = 0;

function policyRow(rules: unknown[], overrides: Partial<PolicyEntity> = {}): PolicyEntity {
  sequence += 1;
  return {
    id: `aaaaaaaa-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    projectId: PROJECT,
    name: `policy-${sequence}`,
    mode: 'enforce',
    phase: 'pre',
    rules: rules as PolicyRule[],
    retry: null,
    bufferStreamingForPostFlight: false,
    managed: false,
    presets: [],
    version: 1,
    isActive: true,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  };
}

function context(policyIds: string[], body: unknown = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }): ProxyContext {
  const ctx = new ProxyContext(
    'req_' + '0'.repeat(32),
    'POST',
    '/v1/chat/completions',
    { 'x-ailink-agent-name': 'bot' },
    '127.0.0.1',
    '/v1/chat/completions?x=1',
  );
  ctx.json = body;
  ctx.body = Buffer.from('{"model":"gpt-4o"}');
  ctx.token = {
    id: 'tok_' + 'b'.repeat(24),
    projectId: PROJECT,
    name: 'agent',
    credentialId: null,
    upstreams: [],
    policyIds,
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: { env: 'prod' },
    teamId: null,
  };
  return ctx;
}

async function refusal(run: Promise<void> | void): Promise<GatewayError> {
  const error = await Promise.resolve(run).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('PolicyStage (in-process store)', () => {
  const rows = new Map<string, PolicyEntity>();
  let loads: string[];
  let store: MemoryKeyValueStore;
  let stage: PolicyStage;
  let evaluator: PolicyEvaluator;
  let usageReads: number;

  function add(rules: unknown[], overrides: Partial<PolicyEntity> = {}): PolicyEntity {
    const row = policyRow(rules, overrides);
    rows.set(row.id, row);
    return row;
  }

  beforeEach(() => {
    rows.clear();
    loads = [];
    usageReads = 0;
    store = new MemoryKeyValueStore();
    const factory = new TieredCacheFactory(store, new CacheInvalidationBus(store));
    const repository = {
      findById: async (id: string) => {
        loads.push(id);
        return rows.get(id) ?? null;
      },
    } as unknown as PoliciesRepository;
    const config = { l1MaxEntries: 100, l1TtlMs: 5000, l2TtlSecs: 300 } as AppConfig;
    const reader = new CounterUsageReader(store);
    const countingReader = {
      read: (tokenId: string, now: Date) => {
        usageReads += 1;
        return reader.read(tokenId, now);
      },
    };
    evaluator = new PolicyEvaluator(new PolicyCache(factory, config, repository), countingReader);
    stage = new PolicyStage(evaluator);
  });

  it('is named policy and records an empty outcome for a token without policies', async () => {
    const ctx = context([]);
    await stage.run(ctx);
    expect(stage.name).toBe('policy');
    expect(ctx.policy).toEqual({
      phase: 'pre',
      mode: null,
      evaluated: [],
      actions: [],
      async_actions: [],
      shadow_violations: [],
      tags: {},
    });
    expect(loads).toEqual([]);
  });

  it('denies with the action’s status and message, recording what fired and skipping later actions', async () => {
    const policy = add([
      { then: [{ action: 'tag', key: 'checked', value: 'yes' }] },
      {
        when: { field: 'request.body.model', op: 'glob', value: 'gpt-4*' },
        then: { action: 'deny', status: 451, message: 'model not allowed here' },
      },
      { then: [{ action: 'log', tags: { late: 'true' } }] },
    ]);
    const ctx = context([policy.id]);
    const error = await refusal(stage.run(ctx));
    expect([error.code, error.status, error.message]).toEqual([
      ErrorCode.PolicyDenied,
      451,
      `Request blocked by policy '${policy.name}': model not allowed here`,
    ]);
    expect(error.details).toEqual({ policy: policy.name, rule_index: 1, action: 'deny', reason: 'model not allowed here' });
    expect(ctx.policy?.actions.map((a) => [a.rule_index, a.action.action, a.status])).toEqual([
      [0, 'tag', 'applied'],
      [1, 'deny', 'blocked'],
      [2, 'log', 'skipped'],
    ]);
    expect(ctx.policy?.tags).toEqual({ checked: 'yes' });
    expect(ctx.policy?.evaluated).toEqual([
      { policy_id: policy.id, policy: policy.name, version: 1, mode: 'enforce', phase: 'pre', fired_rules: [0, 1, 2] },
    ]);
  });

  it('denies with 403 and the default message', async () => {
    const policy = add([{ then: { action: 'deny' } }]);
    const error = await refusal(stage.run(context([policy.id])));
    expect([error.code, error.status ?? 403, error.message]).toEqual([
      ErrorCode.PolicyDenied,
      403,
      `Request blocked by policy '${policy.name}': request blocked by policy`,
    ]);
  });

  it('lets the request through when no deny fires; executes every action in list order; defers rate limits and approvals to their stages', async () => {
    const policy = add([
      { when: { field: 'request.method', op: 'eq', value: 'GET' }, then: { action: 'deny' } },
      {
        then: [
          { action: 'allow' },
          { action: 'log', level: 'info', tags: { source: 'policy', env: 'from-log' } },
          { action: 'tag', key: 'env', value: 'from-tag' },
          { action: 'rate_limit', window: '1m', max_requests: 10 },
          { action: 'redact', patterns: ['email'] },
          { action: 'transform', operations: [{ type: 'append_system_prompt', text: 'be brief' }] },
          { action: 'throttle', delay_ms: 30 },
          { action: 'tool_scope', blocked_tools: ['shell_*'] },
          { action: 'override', set_body_fields: { temperature: 0 } },
          { action: 'split', variants: [{ weight: 1, set_body_fields: { model: 'b' } }] },
          { action: 'require_approval' },
        ],
      },
      { async_check: true, then: { action: 'log' } },
    ]);
    const ctx = context([policy.id]);
    await stage.run(ctx);
    expect(ctx.policy?.actions.map((a) => `${a.action.action}:${a.status}`)).toEqual([
      'allow:applied',
      'log:applied',
      'tag:applied',
      'rate_limit:deferred',
      'redact:applied',
      'transform:applied',
      'throttle:applied',
      'tool_scope:applied',
      'override:applied',
      'split:applied',
      'require_approval:deferred',
    ]);
    expect(ctx.policy?.async_actions.map((a) => `${a.action.action}:${a.status}`)).toEqual(['log:deferred']);
    expect(ctx.policy?.tags).toEqual({ source: 'policy', env: 'from-tag' });
    // transform, override and split ran in list order on the body (redact found nothing to replace).
    expect(ctx.json).toEqual({
      model: 'b',
      temperature: 0,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'be brief' },
      ],
    });
    expect(ctx.bodyChanged).toBe(true);
    // The throttle slept, and the sleep is a deliberate wait, not overhead.
    expect(ctx.deliberateWaitMs).toBeGreaterThanOrEqual(25);
    expect(ctx.elapsedMs()).toBeGreaterThanOrEqual(ctx.deliberateWaitMs);
  });

  it('shadow mode: the request proceeds and the would-have-fired rules are recorded', async () => {
    const shadow = add(
      [{ when: { field: 'agent.name', op: 'eq', value: 'bot' }, then: [{ action: 'deny' }, { action: 'tag', key: 'a', value: 'b' }] }],
      {
        mode: 'shadow',
      },
    );
    const ctx = context([shadow.id]);
    await stage.run(ctx);
    expect(ctx.policy?.mode).toBe('shadow');
    expect(ctx.policy?.actions).toEqual([]);
    expect(ctx.policy?.tags).toEqual({});
    expect(ctx.policy?.shadow_violations).toEqual([
      { policy_id: shadow.id, policy: shadow.name, rule_index: 0, actions: ['deny', 'tag'], outcome: 'would_block' },
    ]);
    // The shadow rule's actions are kept for detecting stages; none of them ran.
    expect(ctx.policy?.shadow_actions?.map((a) => [a.policy_id, a.rule_index, a.action.action, a.status])).toEqual([
      [shadow.id, 0, 'deny', 'pending'],
      [shadow.id, 0, 'tag', 'pending'],
    ]);
  });

  it('runs a throttle before a later deny, in list order, and skips a throttle after one', async () => {
    const policy = add([{ then: [{ action: 'throttle', delay_ms: 40 }, { action: 'deny' }, { action: 'throttle', delay_ms: 5000 }] }]);
    const ctx = context([policy.id]);
    const started = Date.now();
    const error = await refusal(stage.run(ctx));
    expect(error.code).toBe(ErrorCode.PolicyDenied);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(ctx.policy?.actions.map((a) => a.status)).toEqual(['applied', 'blocked', 'skipped']);
  });

  it('marks the outcome when a policy reads usage.*, and leaves actions another stage handled alone', async () => {
    const plain = add([{ then: { action: 'rate_limit', window: '1m', max_requests: 5 } }]);
    const counting = add([{ when: { field: 'usage.requests_today', op: 'gt', value: 1_000_000 }, then: { action: 'deny' } }], {
      phase: 'post',
    });
    const without = context([plain.id]);
    await new PolicyEvaluateStage(evaluator).run(without);
    expect(without.policy?.uses_usage).toBeUndefined();
    const ctx = context([plain.id, counting.id]);
    await new PolicyEvaluateStage(evaluator).run(ctx);
    expect(ctx.policy?.uses_usage).toBe(true);
    const limit = ctx.policy?.actions[0];
    if (limit) limit.status = 'applied';
    await new PolicyActionsStage().run(ctx);
    expect(ctx.policy?.actions.map((a) => a.status)).toEqual(['applied']);
  });

  it('takes policies in policy_ids order, skipping missing, inactive, other-project and post-phase ones', async () => {
    const a = add([{ then: { action: 'tag', key: 'order', value: 'a' } }]);
    const b = add([{ then: { action: 'tag', key: 'order', value: 'b' } }]);
    const inactive = add([{ then: { action: 'deny' } }], { isActive: false });
    const foreign = add([{ then: { action: 'deny' } }], { projectId: OTHER_PROJECT });
    const post = add([{ then: { action: 'deny' } }], { phase: 'post' });
    const ctx = context([b.id, 'aaaaaaaa-0000-4000-8000-999999999999', inactive.id, foreign.id, post.id, a.id]);
    await stage.run(ctx);
    expect(ctx.policy?.evaluated.map((e) => e.policy)).toEqual([b.name, a.name]);
    expect(ctx.policy?.tags).toEqual({ order: 'a' });
  });

  it('compiles once: later requests are answered from L1 without loading', async () => {
    const policy = add([
      { when: { field: 'request.body.messages[*].content', op: 'contains', value: 'hi' }, then: { action: 'tag', key: 'hi', value: '1' } },
    ]);
    for (let i = 0; i < 5; i++) await stage.run(context([policy.id]));
    expect(loads).toEqual([policy.id]);
  });

  it('fails closed with 422 invalid_config naming a stored policy that cannot be compiled', async () => {
    const good = add([{ then: { action: 'log' } }]);
    const damaged = add([{ when: { field: 'request.method', op: 'like', value: 'P%' }, then: { action: 'deny' } }], {
      name: 'legacy-rules',
    });
    const error = await refusal(stage.run(context([good.id, damaged.id])));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.message).toBe(`Policy 'legacy-rules' (${damaged.id}) cannot be applied to this request`);
  });

  it('fails closed with 422 invalid_config when a policy fails while evaluating', async () => {
    const policy = add([{ when: { field: 'request.body.model', op: 'eq', value: 'x' }, then: { action: 'deny' } }], { name: 'fragile' });
    const hostile = Object.defineProperty({}, 'model', {
      enumerable: true,
      get: () => {
        throw new Error('getter exploded');
      },
    });
    const error = await refusal(stage.run(context([policy.id], hostile)));
    expect([error.code, error.message]).toEqual([
      ErrorCode.InvalidConfig,
      `Policy 'fragile' (${policy.id}) cannot be applied to this request`,
    ]);
  });

  it('sets the retry configuration from the first enforce-mode policy with a retry block', async () => {
    const shadow = add([], { mode: 'shadow', retry: { max_retries: 9 } });
    const post = add([], { phase: 'post', retry: { max_retries: 1, status_codes: [503] } });
    const ctx = context([shadow.id, post.id]);
    await stage.run(ctx);
    expect(ctx.retry).toEqual({ max_retries: 1, base_backoff_ms: 500, max_backoff_ms: 10000, jitter_ms: 200, status_codes: [503] });
  });

  it('reads the usage counters only when a policy of the phase references usage.* (counts include this request)', async () => {
    const plain = add([{ then: { action: 'log' } }]);
    await stage.run(context([plain.id]));
    expect(usageReads).toBe(0);

    const now = new Date();
    await store.incr(requestsTodayKey('tok_' + 'b'.repeat(24), now), 99);
    await store.incr(requestsThisHourKey('tok_' + 'b'.repeat(24), now), 4);
    const capped = add([
      { when: { field: 'usage.requests_today', op: 'gte', value: 100 }, then: { action: 'deny', status: 429, message: 'daily cap' } },
      { when: { field: 'usage.requests_this_hour', op: 'eq', value: 5 }, then: { action: 'tag', key: 'hour', value: '5' } },
      { when: { field: 'usage.spend_today_usd', op: 'exists', value: false }, then: { action: 'tag', key: 'spend', value: 'unknown' } },
    ]);
    const ctx = context([capped.id]);
    const error = await refusal(stage.run(ctx));
    expect([error.status, error.message]).toEqual([429, `Request blocked by policy '${capped.name}': daily cap`]);
    expect(usageReads).toBe(1);
    expect(ctx.policy?.evaluated[0]?.fired_rules).toEqual([0, 1, 2]);
  });

  it('split stages: evaluate records without executing; actions execute later', async () => {
    const policy = add([{ then: [{ action: 'rate_limit', window: '1m', max_requests: 1 }, { action: 'deny' }] }]);
    const ctx = context([policy.id]);
    await new PolicyEvaluateStage(evaluator).run(ctx);
    expect(ctx.policy?.actions.map((a) => a.status)).toEqual(['pending', 'pending']);
    const actions = new PolicyActionsStage();
    expect([new PolicyEvaluateStage(evaluator).name, actions.name]).toEqual(['policy-evaluate', 'policy-actions']);
    const error = await refusal(Promise.resolve().then(() => actions.run(ctx)));
    expect(error.code).toBe(ErrorCode.PolicyDenied);
    expect(ctx.policy?.actions.map((a) => a.status)).toEqual(['deferred', 'blocked']);
  });
});
