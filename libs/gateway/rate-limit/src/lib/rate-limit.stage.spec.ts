import pino from 'pino';
import type { FiredPolicyAction, GatewayEvent, PolicyAction, PolicyOutcome, ShadowViolation } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type AppConfig } from '@ailink/gateway-core';
import { ProxyContext } from '@ailink/gateway-proxy';
import { EventBus } from '@ailink/gateway-events';
import { MemoryKeyValueStore } from '@ailink/gateway-redis';
import { ClientIpStage } from './client-ip.stage';
import { usageCounterKeys } from './rate-limit-keys';
import { RateLimitEvents } from './rate-limit-events';
import { RateLimitStage } from './rate-limit.stage';

const TOKEN = 'tok_' + 'd'.repeat(24);
const POLICY = 'bbbbbbbb-0000-4000-8000-000000000001';
let requests = 0;

function config(overrides: Partial<AppConfig> = {}): AppConfig {
  return { defaultRpm: 0, defaultRpmWindowSecs: 60, rateLimitFailMode: 'closed', trustedProxyCidrs: [], ...overrides } as AppConfig;
}

function context(headers: Record<string, string> = {}, peer = '127.0.0.1'): ProxyContext {
  requests += 1;
  const ctx = new ProxyContext(
    `req_${String(requests).padStart(32, '0')}`,
    'POST',
    '/v1/chat/completions',
    headers,
    peer,
    '/v1/chat/completions',
  );
  ctx.token = {
    id: TOKEN,
    projectId: '00000000-0000-0000-0000-000000000001',
    name: 'agent',
    credentialId: null,
    upstreams: [],
    policyIds: [POLICY],
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  return ctx;
}

function fired(action: PolicyAction, ruleIndex = 0): FiredPolicyAction {
  return { policy_id: POLICY, policy: 'limits', policy_version: 1, rule_index: ruleIndex, action_index: 0, action, status: 'pending' };
}

/** What the policy stages leave on the context: enforce actions, shadow rules (with their violations). */
function withPolicy(
  ctx: ProxyContext,
  actions: PolicyAction[],
  shadow: PolicyAction[] = [],
  extra: Partial<PolicyOutcome> = {},
): ProxyContext {
  const violations: ShadowViolation[] = shadow.map((a, i) => ({
    policy_id: POLICY,
    policy: 'limits',
    rule_index: 10 + i,
    actions: [a.action],
    outcome: 'would_fire',
  }));
  ctx.policy = {
    phase: 'pre',
    mode: actions.length ? 'enforce' : 'shadow',
    evaluated: [],
    actions: actions.map((a, i) => fired(a, i)),
    async_actions: [],
    shadow_violations: violations,
    shadow_actions: shadow.map((a, i) => fired(a, 10 + i)),
    tags: {},
    ...extra,
  };
  return ctx;
}

async function refusal(run: Promise<void>): Promise<GatewayError> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('RateLimitStage (in-process store)', () => {
  let store: MemoryKeyValueStore;
  let calls: number;
  let bus: EventBus;
  let events: GatewayEvent[];
  const logger = pino({ level: 'silent' });

  beforeEach(() => {
    store = new MemoryKeyValueStore();
    bus = new EventBus(store, logger);
    events = [];
    bus.subscribe((event) => void events.push(event));
    calls = 0;
    const original = store.slidingWindowAll.bind(store);
    store.slidingWindowAll = (...args) => {
      calls += 1;
      return original(...args);
    };
  });

  afterEach(async () => {
    await bus.onModuleDestroy();
    await store.close();
  });

  const stage = (overrides: Partial<AppConfig> = {}): RateLimitStage =>
    new RateLimitStage(store, config(overrides), logger, new RateLimitEvents(bus, logger));
  /** Local subscribers hear of an event on a later turn of the event loop. */
  const delivered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('is named rate-limit and makes no store call for a token without any limit', async () => {
    const s = stage();
    expect(s.name).toBe('rate-limit');
    await s.run(context());
    await s.run(withPolicy(context(), [{ action: 'tag', key: 'a', value: 'b' }]));
    expect(calls).toBe(0);
    const ctx = context();
    await s.run(ctx);
    expect(ctx.clientHeaders).toEqual({});
    expect(await store.get(usageCounterKeys(TOKEN, new Date()).day)).toBeNull();
  });

  it('enforces the default per-token limit with real headers and a 429 carrying Retry-After', async () => {
    const s = stage({ defaultRpm: 3, defaultRpmWindowSecs: 60 });
    const remaining: string[] = [];
    const before = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 3; i++) {
      const ctx = context();
      await s.run(ctx);
      remaining.push(ctx.clientHeaders['x-ratelimit-remaining'] ?? '');
      expect(ctx.clientHeaders['x-ratelimit-limit']).toBe('3');
      const reset = Number(ctx.clientHeaders['x-ratelimit-reset']);
      expect(reset).toBeGreaterThanOrEqual(before + 59);
      expect(reset).toBeLessThanOrEqual(before + 61);
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const refused = context();
    const error = await refusal(s.run(refused));
    expect(error.code).toBe(ErrorCode.RateLimitExceeded);
    expect(error.message).toBe('Rate limit exceeded: default per-token rate limit allows 3 requests per 60 s');
    expect(error.details).toMatchObject({ policy: null, key: 'per_token', limit: 3, window_secs: 60 });
    const retryAfter = Number(error.headers?.['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(error.details?.['retry_after_secs']).toBe(retryAfter);
    expect(refused.clientHeaders['x-ratelimit-remaining']).toBe('0');
    expect(refused.clientHeaders['x-ratelimit-limit']).toBe('3');
    expect(Number(refused.clientHeaders['x-ratelimit-reset'])).toBeGreaterThanOrEqual(before + 59);
    expect(calls).toBe(4);
  });

  it('lets a fired per_token limit replace the default, naming its policy on refusal', async () => {
    const s = stage({ defaultRpm: 1 });
    const limit: PolicyAction = { action: 'rate_limit', window: '1m', max_requests: 2 };
    const first = withPolicy(context(), [limit]);
    await s.run(first);
    expect(first.policy?.actions[0]?.status).toBe('applied');
    expect(first.clientHeaders['x-ratelimit-limit']).toBe('2');
    await s.run(withPolicy(context(), [limit]));
    const third = withPolicy(context(), [limit]);
    const error = await refusal(s.run(third));
    expect(error.details).toMatchObject({ policy: 'limits', key: 'per_token', limit: 2, window_secs: 60 });
    expect(third.policy?.actions[0]?.status).toBe('blocked');
  });

  it('emits rate_limit_exceeded once per token, policy and rule a minute, counting the refusals it suppressed', async () => {
    const s = stage({ defaultRpm: 1 });
    const limit: PolicyAction = { action: 'rate_limit', window: '1m', max_requests: 1 };
    await s.run(context());
    await s.run(withPolicy(context(), [limit]));
    await delivered();
    expect(events).toEqual([]);

    for (let i = 0; i < 3; i++) await refusal(s.run(context()));
    await refusal(s.run(withPolicy(context(), [limit])));
    await delivered();
    expect(events.map((e) => [e.event_type, e.token_id, e.token_name, e.project_id, e.details])).toEqual([
      [
        'rate_limit_exceeded',
        TOKEN,
        'agent',
        '00000000-0000-0000-0000-000000000001',
        { policy: null, key: 'per_token', max_requests: 1, window_secs: 60, retry_after_secs: expect.any(Number), suppressed_count: 0 },
      ],
      [
        'rate_limit_exceeded',
        TOKEN,
        'agent',
        '00000000-0000-0000-0000-000000000001',
        { policy: 'limits', key: 'per_token', max_requests: 1, window_secs: 60, retry_after_secs: expect.any(Number), suppressed_count: 0 },
      ],
    ]);

    // A minute later the next refusal is reported again, with the two it kept quiet about.
    const later = new RateLimitEvents(bus, logger);
    const planned = { fired: null, key: 'per_token', maxRequests: 1, windowSecs: 60 } as never;
    const token = { id: TOKEN, name: 'agent', projectId: '00000000-0000-0000-0000-000000000001' };
    later.refused(token, planned, 5, 1_000);
    later.refused(token, planned, 5, 2_000);
    later.refused(token, planned, 5, 3_000);
    later.refused(token, planned, 5, 61_000);
    await delivered();
    expect(events.slice(2).map((e) => (e.details as Record<string, unknown>)['suppressed_count'])).toEqual([0, 2]);
  });

  it('checks all limits together: a request one limit refuses counts against none', async () => {
    const s = stage({ defaultRpm: 5 });
    const perUser: PolicyAction = { action: 'rate_limit', window: '1m', max_requests: 1, key: 'per_user' };
    await s.run(withPolicy(context({ 'x-user-id': 'alice' }), [perUser]));
    const refused = withPolicy(context({ 'x-user-id': 'alice' }), [perUser]);
    const error = await refusal(s.run(refused));
    expect(error.details).toMatchObject({ policy: 'limits', key: 'per_user', limit: 1 });
    // The refused request did not use up a slot of the default limit: bob sees 5 - 2 = 3 remaining.
    const bob = withPolicy(context({ 'x-user-id': 'bob' }), [perUser]);
    await s.run(bob);
    expect(bob.clientHeaders['x-ratelimit-remaining']).toBe('0');
    const plain = context();
    await s.run(plain);
    expect(plain.clientHeaders['x-ratelimit-remaining']).toBe('2');
  });

  it('reports the most restrictive limit evaluated (lowest remaining)', async () => {
    const s = stage({ defaultRpm: 100 });
    const ctx = withPolicy(context({ 'x-ailink-agent-name': 'crawler' }), [
      { action: 'rate_limit', window: '1h', max_requests: 50, key: 'per_ip' },
      { action: 'rate_limit', window: '10s', max_requests: 4, key: 'per_agent' },
    ]);
    await s.run(ctx);
    expect([ctx.clientHeaders['x-ratelimit-limit'], ctx.clientHeaders['x-ratelimit-remaining']]).toEqual(['4', '3']);
    expect(Number(ctx.clientHeaders['x-ratelimit-reset'])).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 10);
  });

  it('keys per_ip limits on context.ip, which trusted proxies may set from X-Forwarded-For', async () => {
    const ipStage = new ClientIpStage(config({ trustedProxyCidrs: ['10.0.0.0/8'] }));
    const s = stage();
    const perIp: PolicyAction = { action: 'rate_limit', window: '1m', max_requests: 1, key: 'per_ip' };
    const viaProxy = (forwarded: string): ProxyContext => {
      const ctx = withPolicy(context({ 'x-forwarded-for': forwarded }, '::ffff:10.1.2.3'), [perIp]);
      ipStage.run(ctx);
      return ctx;
    };
    await s.run(viaProxy('198.51.100.1, 10.1.2.3'));
    await s.run(viaProxy('198.51.100.2'));
    await refusal(s.run(viaProxy('198.51.100.1')));
    // An untrusted peer cannot choose its bucket with the header.
    const direct = withPolicy(context({ 'x-forwarded-for': '198.51.100.9' }, '192.0.2.5'), [perIp]);
    ipStage.run(direct);
    expect(direct.clientIp).toBe('192.0.2.5');
    await s.run(direct);
    await refusal(s.run(withPolicy(context({ 'x-forwarded-for': '198.51.100.10' }, '192.0.2.5'), [perIp])));
  });

  it('simulates shadow limits: never refuses, raises the rule’s shadow violation to would_block', async () => {
    const s = stage();
    const shadow: PolicyAction = { action: 'rate_limit', window: '1m', max_requests: 1, key: 'global' };
    const first = withPolicy(context(), [], [shadow]);
    await s.run(first);
    expect(first.policy?.shadow_violations[0]?.outcome).toBe('would_fire');
    expect(first.policy?.shadow_actions?.[0]?.status).toBe('applied');
    expect(first.clientHeaders).toEqual({});
    const second = withPolicy(context(), [], [shadow]);
    await s.run(second);
    expect(second.policy?.shadow_violations[0]?.outcome).toBe('would_block');
    expect(second.error).toBeUndefined();
  });

  it('counts usage in the same call when a limit applies or a policy reads usage.*, and only then', async () => {
    const keys = usageCounterKeys(TOKEN, new Date());
    await stage({ defaultRpm: 10 }).run(context());
    expect(await store.get(keys.day)).toBe('1');
    expect(calls).toBe(1);
    await stage().run(withPolicy(context(), [], [], { uses_usage: true }));
    expect(await store.get(keys.hour)).toBe('2');
    expect(calls).toBe(2);
    await stage().run(withPolicy(context(), [{ action: 'log' }]));
    expect(await store.get(keys.day)).toBe('2');
    expect(calls).toBe(2);
  });
});
