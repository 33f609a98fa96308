import { createHash } from 'node:crypto';
import type { FiredPolicyAction, PolicyAction, PolicyOutcome } from '@ailink/shared-contracts';
import {
  actionHash,
  bucketOf,
  defaultLimitKey,
  policyLimitKey,
  shadowLimitKey,
  usageCounterKeys,
  windowSecs,
  type RateLimitSubject,
} from './rate-limit-keys';
import { planLimits } from './rate-limit-plan';

const TOKEN = 'tok_' + 'c'.repeat(24);
const POLICY = 'aaaaaaaa-0000-4000-8000-000000000001';
const OTHER_POLICY = 'aaaaaaaa-0000-4000-8000-000000000002';
const subject: RateLimitSubject = { tokenId: TOKEN, agentName: 'billing-bot', ip: '203.0.113.7', userId: 'user-42' };

function fired(action: PolicyAction, ruleIndex = 0, policyId = POLICY, status: FiredPolicyAction['status'] = 'pending'): FiredPolicyAction {
  return {
    policy_id: policyId,
    policy: `p-${policyId.slice(-1)}`,
    policy_version: 1,
    rule_index: ruleIndex,
    action_index: 0,
    action,
    status,
  };
}

function outcome(actions: FiredPolicyAction[], shadow: FiredPolicyAction[] = []): PolicyOutcome {
  return {
    phase: 'pre',
    mode: 'enforce',
    evaluated: [],
    actions,
    async_actions: [],
    shadow_violations: [],
    tags: {},
    ...(shadow.length ? { shadow_actions: shadow } : {}),
  };
}

describe('rate-limit keys', () => {
  it('parses windows from 1 s to 30 d and nothing else', () => {
    expect([windowSecs('1s'), windowSecs('90s'), windowSecs('5m'), windowSecs('1h'), windowSecs('1d'), windowSecs('30d')]).toEqual([
      1, 90, 300, 3600, 86_400, 2_592_000,
    ]);
    for (const bad of ['0s', '31d', '1w', '60', '1.5m', ' 1m', '-1s', '']) expect(windowSecs(bad)).toBeNull();
  });

  it('hashes key|window|max_requests to 12 hex characters, distinct per limit', () => {
    const expected = createHash('sha1').update('per_token|1m|10').digest('hex').slice(0, 12);
    expect(actionHash('per_token', '1m', 10)).toBe(expected);
    expect(actionHash('per_token', '1m', 10)).toMatch(/^[0-9a-f]{12}$/);
    expect(new Set([actionHash('per_token', '1m', 10), actionHash('per_token', '1d', 1000), actionHash('per_ip', '1m', 10)]).size).toBe(3);
  });

  it('buckets requests per token, agent, IP, user and globally, with the documented fallbacks', () => {
    expect(bucketOf('per_token', subject)).toBe(`tok:${TOKEN}`);
    expect(bucketOf('per_agent', subject)).toBe('agent:billing-bot');
    expect(bucketOf('per_ip', subject)).toBe('ip:203.0.113.7');
    expect(bucketOf('per_user', subject)).toBe('user:user-42');
    expect(bucketOf('global', subject)).toBe('global');
    const bare: RateLimitSubject = { tokenId: TOKEN, agentName: ' ', ip: '', userId: null };
    expect([bucketOf('per_agent', bare), bucketOf('per_ip', bare), bucketOf('per_user', bare)]).toEqual([
      'agent:unknown',
      'ip:unknown',
      `user:${TOKEN}`,
    ]);
  });

  it('bounds client-chosen values in keys by hashing long ones', () => {
    const long = 'x'.repeat(500);
    const key = bucketOf('per_user', { tokenId: TOKEN, userId: long });
    expect(key).toBe(`user:sha1:${createHash('sha1').update(long).digest('hex')}`);
    expect(bucketOf('per_agent', { tokenId: TOKEN, agentName: 'a'.repeat(128) })).toBe(`agent:${'a'.repeat(128)}`);
  });

  it('names the logs and usage counters as data-model.md does', () => {
    expect(policyLimitKey(POLICY, 'abc', 'tok:t')).toBe(`ailink:rl:${POLICY}:abc:tok:t`);
    expect(shadowLimitKey(POLICY, 'abc', 'global')).toBe(`ailink:rl:shadow:${POLICY}:abc:global`);
    expect(defaultLimitKey(TOKEN)).toBe(`ailink:rl:default:tok:${TOKEN}`);
    expect(usageCounterKeys(TOKEN, new Date('2026-03-04T05:06:07Z'))).toEqual({
      day: `ailink:usage:req:${TOKEN}:2026-03-04`,
      hour: `ailink:usage:req:${TOKEN}:2026-03-04T05`,
    });
  });
});

describe('planLimits', () => {
  const defaults = { maxRequests: 600, windowSecs: 60 };

  it('is empty for a token without limits: no store call is needed', () => {
    expect(planLimits(undefined, subject, null)).toEqual([]);
    expect(planLimits(outcome([fired({ action: 'tag', key: 'a', value: 'b' })]), subject, null)).toEqual([]);
    expect(planLimits(outcome([]), subject, { maxRequests: 0, windowSecs: 60 })).toEqual([]);
  });

  it('adds the default per-token limit when nothing replaces it', () => {
    const plan = planLimits(undefined, subject, defaults);
    expect(plan.map((p) => [p.check, p.fired, p.key])).toEqual([
      [{ key: defaultLimitKey(TOKEN), limit: 600, windowMs: 60_000 }, null, 'per_token'],
    ]);
  });

  it('keeps the default beside per_user, per_agent and per_ip limits, drops it for per_token and global ones', () => {
    const byUser = planLimits(
      outcome([fired({ action: 'rate_limit', window: '1m', max_requests: 5, key: 'per_user' })]),
      subject,
      defaults,
    );
    expect(byUser.map((p) => p.check.key)).toEqual([
      `ailink:rl:${POLICY}:${actionHash('per_user', '1m', 5)}:user:user-42`,
      defaultLimitKey(TOKEN),
    ]);
    const byAgentAndIp = planLimits(
      outcome([
        fired({ action: 'rate_limit', window: '1m', max_requests: 5, key: 'per_agent' }),
        fired({ action: 'rate_limit', window: '1h', max_requests: 50, key: 'per_ip' }, 1),
      ]),
      subject,
      defaults,
    );
    expect(byAgentAndIp).toHaveLength(3);
    for (const key of ['per_token', 'global'] as const) {
      const plan = planLimits(outcome([fired({ action: 'rate_limit', window: '10s', max_requests: 2, key })]), subject, defaults);
      expect(plan.map((p) => [p.key, p.maxRequests, p.windowSecs, p.check.windowMs])).toEqual([[key, 2, 10, 10_000]]);
    }
  });

  it('defaults the key to per_token and counts one limit fired by two rules once', () => {
    const first = fired({ action: 'rate_limit', window: '1m', max_requests: 3 }, 0);
    const again = fired({ action: 'rate_limit', window: '1m', max_requests: 3 }, 2);
    const plan = planLimits(outcome([first, again]), subject, defaults);
    expect(plan).toHaveLength(1);
    expect(plan[0]?.check.key).toBe(`ailink:rl:${POLICY}:${actionHash('per_token', '1m', 3)}:tok:${TOKEN}`);
    expect(plan[0]?.fired).toBe(first);
    expect(plan[0]?.duplicates).toEqual([again]);
  });

  it('gives two policies with the same limit separate logs', () => {
    const plan = planLimits(
      outcome([
        fired({ action: 'rate_limit', window: '1m', max_requests: 3 }),
        fired({ action: 'rate_limit', window: '1m', max_requests: 3 }, 0, OTHER_POLICY),
      ]),
      subject,
      null,
    );
    expect(new Set(plan.map((p) => p.check.key)).size).toBe(2);
  });

  it('checks shadow limits on their own simulated logs, without letting them replace the default', () => {
    const shadow = fired({ action: 'rate_limit', window: '1m', max_requests: 1, key: 'global' });
    const plan = planLimits(outcome([], [shadow, fired({ action: 'deny' })]), subject, defaults);
    expect(plan.map((p) => [p.check, p.shadow])).toEqual([
      [{ key: `ailink:rl:shadow:${POLICY}:${actionHash('global', '1m', 1)}:global`, limit: 1, windowMs: 60_000, shadow: true }, true],
      [{ key: defaultLimitKey(TOKEN), limit: 600, windowMs: 60_000 }, false],
    ]);
  });

  it('skips actions another stage already handled and windows that do not parse', () => {
    const plan = planLimits(
      outcome([
        fired({ action: 'rate_limit', window: '1m', max_requests: 3 }, 0, POLICY, 'applied'),
        fired({ action: 'rate_limit', window: '1y', max_requests: 3 }, 1),
      ]),
      subject,
      null,
    );
    expect(plan).toEqual([]);
  });
});
