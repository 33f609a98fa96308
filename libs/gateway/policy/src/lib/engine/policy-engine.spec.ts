import type { PolicyAction } from '@ailink/shared-contracts';
import { compilePolicyDocument } from './policy-compiler';
import { PolicyEvaluationError, evaluatePolicies, retryFromPolicies, shadowOutcomeOf, type LoadedPolicy } from './policy-engine';
import { testView } from './test-view';

const PROJECT = '00000000-0000-0000-0000-000000000001';
let counter = 0;

function load(doc: Record<string, unknown>, version = 1): LoadedPolicy {
  const { problems, compiled } = compilePolicyDocument(doc);
  if (!compiled) throw new Error(JSON.stringify(problems));
  counter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    projectId: PROJECT,
    name: compiled.document.name,
    version,
    mode: compiled.document.mode,
    phase: compiled.document.phase,
    rules: compiled.rules,
    retry: compiled.retry,
    usesUsage: compiled.usesUsage,
  };
}

const isPost = { field: 'request.method', op: 'eq', value: 'POST' };
const isGet = { field: 'request.method', op: 'eq', value: 'GET' };

describe('evaluatePolicies (policies.md §5)', () => {
  it('fires every rule whose condition holds, in policy and rule order, and builds the action list', () => {
    const first = load({
      name: 'first',
      rules: [
        { when: isPost, then: [{ action: 'tag', key: 'a', value: '1' }, { action: 'log' }] },
        { when: isGet, then: { action: 'deny' } },
        { then: { action: 'rate_limit', window: '1m', max_requests: 5 } },
      ],
    });
    const second = load({
      name: 'second',
      rules: [{ when: { field: 'request.body.model', op: 'glob', value: 'gpt-*' }, then: { action: 'deny', status: 451 } }],
    });
    const outcome = evaluatePolicies([first, second], testView(), 'pre');
    expect(outcome.mode).toBe('enforce');
    expect(outcome.evaluated).toEqual([
      { policy_id: first.id, policy: 'first', version: 1, mode: 'enforce', phase: 'pre', fired_rules: [0, 2] },
      { policy_id: second.id, policy: 'second', version: 1, mode: 'enforce', phase: 'pre', fired_rules: [0] },
    ]);
    expect(outcome.actions.map((a) => [a.policy, a.rule_index, a.action_index, a.action.action, a.status])).toEqual([
      ['first', 0, 0, 'tag', 'pending'],
      ['first', 0, 1, 'log', 'pending'],
      ['first', 2, 0, 'rate_limit', 'pending'],
      ['second', 0, 0, 'deny', 'pending'],
    ]);
    expect(outcome.actions[3]?.action).toEqual({ action: 'deny', status: 451, message: 'request blocked by policy' });
    expect(outcome.async_actions).toEqual([]);
    expect(outcome.shadow_violations).toEqual([]);
  });

  it('only runs policies of the phase', () => {
    const pre = load({ name: 'pre', rules: [{ then: { action: 'log' } }] });
    const post = load({
      name: 'post',
      phase: 'post',
      rules: [{ when: { field: 'response.status', op: 'gte', value: 500 }, then: { action: 'deny' } }],
    });
    expect(evaluatePolicies([pre, post], testView(), 'pre').evaluated.map((e) => e.policy)).toEqual(['pre']);
    const view = testView({ response: { status: 503, body: {}, header: () => undefined } });
    const outcome = evaluatePolicies([pre, post], view, 'post');
    expect(outcome.evaluated.map((e) => e.policy)).toEqual(['post']);
    expect(outcome.actions.map((a) => a.action.action)).toEqual(['deny']);
    expect(evaluatePolicies([pre], testView(), 'post')).toEqual({
      phase: 'post',
      mode: null,
      evaluated: [],
      actions: [],
      async_actions: [],
      shadow_violations: [],
      tags: {},
    });
  });

  it('puts async_check rules on the async list', () => {
    const policy = load({
      name: 'async',
      rules: [
        {
          async_check: true,
          then: [
            { action: 'log', level: 'info' },
            { action: 'redact', patterns: ['email'] },
          ],
        },
        { then: { action: 'tag', key: 'sync', value: 'yes' } },
      ],
    });
    const outcome = evaluatePolicies([policy], testView(), 'pre');
    expect(outcome.async_actions.map((a) => a.action.action)).toEqual(['log', 'redact']);
    expect(outcome.actions.map((a) => a.action.action)).toEqual(['tag']);
  });

  it('allow with stop ends the policy’s evaluation, not the other policies', () => {
    const allowFirst = load({
      name: 'allow-then-deny',
      rules: [
        { when: { field: 'token.tags.env', op: 'eq', value: 'prod' }, then: { action: 'allow', stop: true } },
        { then: { action: 'deny' } },
      ],
    });
    const other = load({ name: 'other', rules: [{ then: { action: 'log' } }] });
    const outcome = evaluatePolicies([allowFirst, other], testView(), 'pre');
    expect(outcome.actions.map((a) => `${a.policy}:${a.action.action}`)).toEqual(['allow-then-deny:allow', 'other:log']);
    // Without the stop, the deny rule fires.
    const devView = testView({ token: { id: 't', name: 'n', projectId: PROJECT, teamId: null, tags: { env: 'dev' } } });
    expect(evaluatePolicies([allowFirst], devView, 'pre').actions.map((a) => a.action.action)).toEqual(['deny']);
  });

  it('shadow mode records would-have-fired rules and adds no action', () => {
    const shadow = load({
      name: 'shadow',
      mode: 'shadow',
      rules: [
        { when: isPost, then: [{ action: 'log' }, { action: 'deny' }] },
        { when: isGet, then: { action: 'deny' } },
        { then: { action: 'split', variants: [{ weight: 1, set_body_fields: { model: 'x' } }] } },
        { then: [{ action: 'allow', stop: true }] },
        { then: { action: 'tag', key: 'never', value: 'reached' } },
      ],
    });
    const outcome = evaluatePolicies([shadow], testView(), 'pre');
    expect(outcome.mode).toBe('shadow');
    expect(outcome.actions).toEqual([]);
    expect(outcome.shadow_violations).toEqual([
      { policy_id: shadow.id, policy: 'shadow', rule_index: 0, actions: ['log', 'deny'], outcome: 'would_block' },
      { policy_id: shadow.id, policy: 'shadow', rule_index: 2, actions: ['split'], outcome: 'would_route' },
      { policy_id: shadow.id, policy: 'shadow', rule_index: 3, actions: ['allow'], outcome: 'would_fire' },
    ]);
    const enforce = load({ name: 'enforce', rules: [{ then: { action: 'log' } }] });
    expect(evaluatePolicies([shadow, enforce], testView(), 'pre').mode).toBe('enforce');
  });

  it('evaluates conditions on the request as given, and time fields at the view’s instant', () => {
    const policy = load({
      name: 'office-hours',
      rules: [
        {
          when: { all: [{ field: 'context.time.weekday', op: 'in', value: ['sat', 'sun'] }] },
          then: { action: 'deny', message: 'weekend' },
        },
        { when: { field: 'context.time.hour', op: 'lt', value: 9 }, then: { action: 'deny', message: 'early' } },
      ],
    });
    expect(evaluatePolicies([policy], testView(), 'pre').actions).toEqual([]);
    const saturday = testView({ now: new Date('2026-03-07T08:00:00Z') });
    expect(evaluatePolicies([policy], saturday, 'pre').actions.map((a) => (a.action as { message: string }).message)).toEqual([
      'weekend',
      'early',
    ]);
  });

  it('fails closed with PolicyEvaluationError naming the policy when a rule throws', () => {
    const good = load({ name: 'good', rules: [{ then: { action: 'log' } }] });
    const broken: LoadedPolicy = {
      ...good,
      id: 'broken-id',
      name: 'broken',
      rules: [
        {
          index: 0,
          test: () => {
            throw new Error('boom');
          },
          actions: [],
          actionNames: [],
          async: false,
          stop: false,
        },
      ],
    };
    let error: unknown;
    try {
      evaluatePolicies([good, broken], testView(), 'pre');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyEvaluationError);
    expect(error).toMatchObject({
      policyId: 'broken-id',
      policyName: 'broken',
      message: "policy 'broken' (broken-id) failed to evaluate: rule #0: boom",
    });
  });
});

describe('shadowOutcomeOf', () => {
  const outcome = (...actions: PolicyAction[]): string => shadowOutcomeOf(actions);
  it('classifies by the strongest action', () => {
    expect(outcome({ action: 'log' }, { action: 'tag', key: 'a', value: 'b' })).toBe('would_fire');
    expect(outcome({ action: 'redact' })).toBe('would_redact');
    expect(outcome({ action: 'redact', on_match: 'block' })).toBe('would_block');
    expect(outcome({ action: 'redact' }, { action: 'split', variants: [] })).toBe('would_route');
    expect(outcome({ action: 'dynamic_route', strategy: 'round_robin', pool: [] }, { action: 'deny' })).toBe('would_block');
    expect(outcome({ action: 'require_approval' })).toBe('would_block');
  });
});

describe('retryFromPolicies (policies.md §8, §11 item 4)', () => {
  it('takes the first enforce-mode policy with a retry block', () => {
    const none = load({ name: 'none', rules: [] });
    const shadow = load({ name: 'shadow', mode: 'shadow', rules: [], retry: { max_retries: 9 } });
    const first = load({ name: 'first', phase: 'post', rules: [], retry: { max_retries: 1 } });
    const second = load({ name: 'second', rules: [], retry: { max_retries: 2 } });
    expect(retryFromPolicies([none, shadow, first, second])?.max_retries).toBe(1);
    expect(retryFromPolicies([none, shadow])).toBeNull();
  });
});
