import type { FiredPolicyAction, PolicyAction, PolicyOutcome } from '@ailink/shared-contracts';
import { ErrorCode } from '@ailink/gateway-core';
import { CircuitBreakers, ProxyContext, type ProxyHandler } from '@ailink/gateway-proxy';
import { PolicyActionRunner } from './policy-action-runner';
import { executePolicyActions } from './policy.stage';
import { PolicyRoutingService, type RoutePriceSource } from './routing-environment';

const PROJECT = '00000000-0000-0000-0000-000000000001';

function context(body: unknown, headers: Record<string, string> = {}): ProxyContext {
  const ctx = new ProxyContext('req_' + '0'.repeat(32), 'POST', '/v1/chat/completions', headers, '127.0.0.1', '/v1/chat/completions');
  ctx.json = body;
  ctx.token = {
    id: 'tok_' + 'c'.repeat(24),
    projectId: PROJECT,
    name: 'agent',
    credentialId: null,
    upstreams: [{ url: 'https://token.example', weight: 100, priority: 1 }],
    policyIds: [],
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 1, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  return ctx;
}

function fired(action: PolicyAction, index = 0): FiredPolicyAction {
  return { policy_id: 'p1', policy: 'guard', policy_version: 1, rule_index: index, action_index: 0, action, status: 'pending' };
}

function outcome(actions: PolicyAction[], shadow: PolicyAction[] = []): PolicyOutcome {
  return {
    phase: 'pre',
    mode: 'enforce',
    evaluated: [],
    actions: actions.map((a, i) => fired(a, i)),
    async_actions: [],
    shadow_violations: shadow.map((a, i) => ({
      policy_id: 'p1',
      policy: 'guard',
      rule_index: 100 + i,
      actions: [a.action],
      outcome: 'would_fire',
    })),
    shadow_actions: shadow.map((a, i) => fired(a, 100 + i)),
    tags: {},
  };
}

const chat = (content = 'hi') => ({ model: 'gpt-4o', messages: [{ role: 'user', content }] });

async function run(ctx: ProxyContext, actions: PolicyAction[], runner = new PolicyActionRunner()): Promise<unknown> {
  ctx.policy = outcome(actions);
  return executePolicyActions(ctx, ctx.policy, runner).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('PolicyActionRunner (pre-phase actions, policies.md §6)', () => {
  it('redact replaces PII in the request body and records fields_redacted', async () => {
    const ctx = context({ ...chat('I am jane@example.com'), user: { password: 'p' } });
    expect(await run(ctx, [{ action: 'redact', patterns: ['email'], fields: ['password'] }])).toBeUndefined();
    expect(ctx.json).toEqual({ ...chat('I am [REDACTED_EMAIL]'), user: { password: '[REDACTED]' } });
    expect(ctx.bodyChanged).toBe(true);
    expect(ctx.fieldsRedacted).toEqual(['email', 'field:password']);
    expect(ctx.policy?.actions[0].status).toBe('applied');
  });

  it('redact with direction response leaves the request alone (it is remembered for the response)', async () => {
    const ctx = context(chat('jane@example.com'));
    await run(ctx, [{ action: 'redact', patterns: ['email'], direction: 'response' }]);
    expect(ctx.json).toEqual(chat('jane@example.com'));
    expect(ctx.bodyChanged).toBe(false);
    expect(ctx.policy?.actions[0].status).toBe('applied');
  });

  it('redact with on_match: block answers 403 content_blocked and stops the list', async () => {
    const ctx = context(chat('ssn 123-45-6789 and a@b.io'));
    const error = (await run(ctx, [
      { action: 'redact', patterns: ['ssn', 'email'], on_match: 'block' },
      { action: 'override', set_body_fields: { temperature: 0 } },
    ])) as { code: string; status: number; message: string; details: unknown };
    expect(error.code).toBe(ErrorCode.ContentBlocked);
    expect(error.message).toBe("Request blocked by policy 'guard': sensitive data detected (ssn, email)");
    expect(error.details).toEqual({ policy: 'guard', detected_pii: ['ssn', 'email'], action: 'Remove sensitive data and retry' });
    expect(ctx.json).toEqual(chat('ssn 123-45-6789 and a@b.io'));
    expect(ctx.policy?.actions.map((a) => a.status)).toEqual(['blocked', 'skipped']);
    // Nothing found: passes.
    expect(await run(context(chat('clean')), [{ action: 'redact', patterns: ['ssn'], on_match: 'block' }])).toBeUndefined();
  });

  it('transform mutates the body and the upstream headers (removals are remembered for the forwarder)', async () => {
    const ctx = context(chat());
    await run(ctx, [
      {
        action: 'transform',
        operations: [
          { type: 'set_header', name: 'X-Tenant', value: 'acme' },
          { type: 'remove_header', name: 'X-Debug' },
          { type: 'prepend_system_prompt', text: 'Be safe.' },
        ],
      },
    ]);
    expect(ctx.upstreamHeaders['x-tenant']).toBe('acme');
    expect(Array.from(ctx.removedUpstreamHeaders ?? [])).toEqual(['x-debug']);
    expect(ctx.json).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be safe.' },
        { role: 'user', content: 'hi' },
      ],
    });
    expect(ctx.bodyChanged).toBe(true);
    // A later set_header of a removed header brings it back.
    await run(ctx, [{ action: 'transform', operations: [{ type: 'set_header', name: 'x-debug', value: '1' }] }]);
    expect(ctx.removedUpstreamHeaders?.has('x-debug')).toBe(false);
  });

  it('override sets top-level keys (copies); actions see earlier mutations', async () => {
    const fields = { temperature: 0, stream: true, metadata: { a: 1 } };
    const ctx = context(chat());
    await run(ctx, [
      { action: 'override', set_body_fields: fields },
      { action: 'transform', operations: [{ type: 'set_body_field', path: 'metadata.b', value: 2 }] },
    ]);
    expect(ctx.json).toEqual({ ...chat(), temperature: 0, stream: true, metadata: { a: 1, b: 2 } });
    expect(fields.metadata).toEqual({ a: 1 });
    expect(ctx.streaming).toBe(true);
  });

  it('tool_scope denies with 403 policy_denied and its deny_message', async () => {
    const ctx = context({ ...chat(), tools: [{ type: 'function', function: { name: 'shell_exec' } }] });
    const error = (await run(ctx, [{ action: 'tool_scope', blocked_tools: ['shell_*'], deny_message: 'no shell' }])) as {
      code: string;
      status: number;
      message: string;
      details: unknown;
    };
    expect([error.code, error.message]).toEqual([ErrorCode.PolicyDenied, "Request blocked by policy 'guard': no shell"]);
    expect(error.details).toEqual({ policy: 'guard', rule_index: 0, action: 'tool_scope', reason: 'no shell' });
    expect(await run(context(chat()), [{ action: 'tool_scope', allowed_tools: ['web_*'] }])).toBeUndefined();
  });

  it('shadow tool_scope: detection only, raising the rule’s violation to would_block', async () => {
    const ctx = context({ ...chat(), tools: [{ name: 'shell_exec' }] });
    ctx.policy = outcome(
      [],
      [
        { action: 'tool_scope', blocked_tools: ['shell_*'] },
        { action: 'tool_scope', blocked_tools: ['x'] },
      ],
    );
    await executePolicyActions(ctx, ctx.policy, new PolicyActionRunner());
    expect(ctx.policy.shadow_violations.map((v) => v.outcome)).toEqual(['would_block', 'would_fire']);
  });

  it('split sets the variant’s fields and records the experiment and routing facts', async () => {
    const ctx = context(chat());
    await run(ctx, [
      { action: 'split', experiment: 'exp-1', variants: [{ weight: 1, name: 'only', set_body_fields: { model: 'gpt-4o-mini' } }] },
    ]);
    expect((ctx.json as { model: string }).model).toBe('gpt-4o-mini');
    expect([ctx.experimentName, ctx.variantName]).toEqual(['exp-1', 'only']);
    expect(ctx.clientHeaders).toMatchObject({ 'x-ailink-route-strategy': 'split', 'x-ailink-route-reason': 'variant only' });
    expect(ctx.routerInfo).toMatchObject({ strategy: 'split', target: 'gpt-4o-mini' });
    expect(ctx.targetOverride).toBeUndefined();
  });

  it('dynamic_route picks a pool target: body.model, target URL and credential; open breakers are skipped', async () => {
    const breakers = new CircuitBreakers();
    const routing = new PolicyRoutingService(undefined, undefined, { breakers } as unknown as ProxyHandler);
    const runner = new PolicyActionRunner(routing);
    const ctx = context(chat());
    const token = ctx.token!;
    breakers.record(token.id, 'https://a.example', token.circuitBreaker, 'failure', false); // threshold 1: open
    const credential = 'c0ffee00-0000-4000-8000-000000000001';
    await run(
      ctx,
      [
        {
          action: 'dynamic_route',
          strategy: 'round_robin',
          pool: [
            { model: 'gpt-4o', upstream_url: 'https://a.example' },
            { model: 'gpt-4o-mini', upstream_url: 'https://b.example/', credential_id: credential },
          ],
        },
      ],
      runner,
    );
    expect((ctx.json as { model: string }).model).toBe('gpt-4o-mini');
    expect(ctx.targetOverride).toEqual({ url: 'https://b.example/', credentialId: credential });
    expect(ctx.clientHeaders).toMatchObject({ 'x-ailink-route-strategy': 'round_robin', 'x-ailink-route-reason': 'round_robin' });
    expect(ctx.routerInfo).toMatchObject({ strategy: 'round_robin', target: 'https://b.example/' });
    // least_busy counts the request in flight on its URL until the request finishes.
    expect(routing.environment(ctx).inFlight('https://b.example')).toBe(1);
    routing.finished(ctx);
    expect(routing.environment(ctx).inFlight('https://b.example')).toBe(0);
  });

  it('dynamic_route lowest_cost asks the price source', async () => {
    const prices: RoutePriceSource = { blendedPricePerM: async (_p, model) => (model === 'cheap' ? 0.1 : 5) };
    const runner = new PolicyActionRunner(new PolicyRoutingService(prices));
    const ctx = context(chat());
    await run(
      ctx,
      [
        {
          action: 'dynamic_route',
          strategy: 'lowest_cost',
          pool: [
            { model: 'dear', upstream_url: 'https://a.example' },
            { model: 'cheap', upstream_url: 'https://b.example' },
          ],
        },
      ],
      runner,
    );
    expect(ctx.targetOverride).toEqual({ url: 'https://b.example' });
  });

  it('conditional_route reads body, headers and X-AILink-Metadata; no match and no fallback → 403', async () => {
    const action: PolicyAction = {
      action: 'conditional_route',
      branches: [
        {
          condition: { field: 'metadata.tier', op: 'eq', value: 'gold' },
          target: { upstream_url: 'https://gold.example', model: 'gpt-4o' },
        },
        {
          condition: { field: 'header.x-region', op: 'eq', value: 'eu' },
          target: { credential_id: 'c0ffee00-0000-4000-8000-000000000003' },
        },
      ],
    };
    const gold = context(chat(), { 'x-ailink-metadata': '{"tier":"gold"}' });
    await run(gold, [action]);
    expect(gold.targetOverride).toEqual({ url: 'https://gold.example' });
    expect(gold.clientHeaders['x-ailink-route-reason']).toBe('branch 0');
    expect(gold.routerInfo).toMatchObject({ strategy: 'conditional', reason: 'branch 0', target: 'https://gold.example' });

    const eu = context(chat(), { 'x-region': 'eu' });
    await run(eu, [action]);
    expect(eu.targetOverride).toEqual({ credentialId: 'c0ffee00-0000-4000-8000-000000000003' });

    const none = context(chat(), { 'x-ailink-metadata': 'not json' });
    const error = (await run(none, [action])) as { code: string; message: string };
    expect([error.code, error.message]).toEqual([
      ErrorCode.PolicyDenied,
      "Request blocked by policy 'guard': no routing branch matched the request",
    ]);
  });

  it('when several routing actions fire, the last one decides the target', async () => {
    const ctx = context(chat());
    await run(ctx, [
      {
        action: 'conditional_route',
        branches: [{ condition: { field: 'body.model', op: 'exists' }, target: { upstream_url: 'https://first.example' } }],
      },
      { action: 'conditional_route', branches: [{ condition: { field: 'body.model', op: 'exists' }, target: { model: 'gpt-4o-mini' } }] },
    ]);
    // The second names only a model: the token's own upstreams again, with that model.
    expect(ctx.targetOverride).toBeUndefined();
    expect((ctx.json as { model: string }).model).toBe('gpt-4o-mini');
  });

  it('leaves require_approval and rate_limit to their stages', async () => {
    const ctx = context(chat());
    await run(ctx, [{ action: 'require_approval' }, { action: 'rate_limit', window: '1m', max_requests: 1 }]);
    expect(ctx.policy?.actions.map((a) => a.status)).toEqual(['deferred', 'deferred']);
  });
});
