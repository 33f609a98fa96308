import { createHash } from 'node:crypto';
import type { FiredPolicyAction, PolicyOutcome } from '@ailink/shared-contracts';
import {
  BODY_PREVIEW_CHARS,
  bindingMatches,
  bodyDigest,
  bodyPreview,
  derivedIdempotencyKey,
  normaliseDecision,
  parseDurationSecs,
  pendingApprovalAction,
  requirementOf,
  timeoutSecsFor,
} from './approval-binding';

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

function fired(action: FiredPolicyAction['action'], overrides: Partial<FiredPolicyAction> = {}): FiredPolicyAction {
  return {
    policy_id: '11111111-1111-4111-8111-111111111111',
    policy: 'hitl',
    policy_version: 3,
    rule_index: 0,
    action_index: 0,
    action,
    status: 'deferred',
    ...overrides,
  };
}

function outcome(actions: FiredPolicyAction[]): PolicyOutcome {
  return { phase: 'pre', mode: 'enforce', evaluated: [], actions, async_actions: [], shadow_violations: [], tags: {} };
}

describe('approval binding', () => {
  it('digests the client body as received with SHA-256 (the empty string for no body)', () => {
    const body = Buffer.from('{"model":"gpt-4o","messages":[]}');
    expect(bodyDigest(body)).toBe(sha256(body));
    expect(bodyDigest(undefined)).toBe(sha256(''));
    expect(bodyDigest(Buffer.from('{"model":"gpt-4o" ,"messages":[]}'))).not.toBe(bodyDigest(body));
  });

  it('derives the idempotency key from the public token id, method, path and body digest', () => {
    const binding = { tokenId: 'tok_0123456789abcdef01234567', method: 'POST', path: '/v1/chat/completions', bodyDigest: sha256('x') };
    const key = derivedIdempotencyKey(binding);
    expect(key).toBe('sha256:' + sha256(`tok_0123456789abcdef01234567:POST:/v1/chat/completions:${sha256('x')}`));
    expect(derivedIdempotencyKey({ ...binding, method: 'PUT' })).not.toBe(key);
    expect(derivedIdempotencyKey({ ...binding, path: '/v1/embeddings' })).not.toBe(key);
    expect(derivedIdempotencyKey({ ...binding, bodyDigest: sha256('y') })).not.toBe(key);
    expect(derivedIdempotencyKey({ ...binding, tokenId: 'tok_fedcba9876543210fedcba98' })).not.toBe(key);
  });

  it('matches an approval only to the exact request (method, path, body digest)', () => {
    const row = { request_method: 'POST', request_path: '/v1/chat/completions', body_digest: sha256('a') };
    const binding = { tokenId: 'tok_x', method: 'POST', path: '/v1/chat/completions', bodyDigest: sha256('a') };
    expect(bindingMatches(row, binding)).toBe(true);
    expect(bindingMatches(row, { ...binding, method: 'GET' })).toBe(false);
    expect(bindingMatches(row, { ...binding, path: '/v1/chat/completions?x=1' })).toBe(false);
    expect(bindingMatches(row, { ...binding, bodyDigest: sha256('b') })).toBe(false);
  });

  it('parses durations and clamps timeouts per mode', () => {
    expect(parseDurationSecs('30s')).toBe(30);
    expect(parseDurationSecs('5m')).toBe(300);
    expect(parseDurationSecs('2h')).toBe(7200);
    expect(parseDurationSecs('1d')).toBe(86_400);
    expect(parseDurationSecs('5 minutes')).toBeNull();
    expect(timeoutSecsFor('wait', undefined, 1800)).toBe(1800);
    expect(timeoutSecsFor('wait', '2h', 1800)).toBe(1800);
    expect(timeoutSecsFor('wait', '10s', 1800)).toBe(10);
    expect(timeoutSecsFor('async', '2h', 1800)).toBe(7200);
    expect(timeoutSecsFor('async', '30d', 1800)).toBe(7 * 86_400);
  });

  it('takes the first deferred enforce-mode require_approval action, in list order', () => {
    const first = fired({ action: 'require_approval', mode: 'async', timeout: '1h', fallback: 'allow' }, { action_index: 1 });
    const second = fired({ action: 'require_approval' }, { policy: 'other', action_index: 2 });
    expect(pendingApprovalAction(undefined)).toBeUndefined();
    expect(pendingApprovalAction(outcome([fired({ action: 'log' }, { status: 'applied' })]))).toBeUndefined();
    expect(pendingApprovalAction(outcome([fired({ action: 'log' }), first, second]))).toBe(first);
    // Already executed (e.g. a second pipeline pass) or skipped after a block: not pending.
    expect(pendingApprovalAction(outcome([{ ...first, status: 'skipped' }]))).toBeUndefined();
    expect(requirementOf(first, 1800)).toEqual({
      policyId: first.policy_id,
      policyName: 'hitl',
      policyVersion: 3,
      mode: 'async',
      timeoutSecs: 3600,
      fallback: 'allow',
    });
    expect(requirementOf(second, 1800)).toMatchObject({ mode: 'wait', timeoutSecs: 1800, fallback: 'deny' });
  });

  it('accepts both spellings of a decision and nothing else', () => {
    expect(normaliseDecision('approved')).toBe('approved');
    expect(normaliseDecision('approve')).toBe('approved');
    expect(normaliseDecision('rejected')).toBe('rejected');
    expect(normaliseDecision('reject')).toBe('rejected');
    for (const bad of ['APPROVE', 'yes', '', 'toString', 1, null, undefined]) expect(normaliseDecision(bad)).toBeNull();
  });

  it('previews bodies scrubbed, cut to 2000 characters, and never at log level 0', () => {
    const scrub = (text: string) => text.replace(/secret/g, '[X]');
    expect(bodyPreview(Buffer.from('{"a":"secret"}'), 0, scrub)).toBeNull();
    expect(bodyPreview(undefined, 1, scrub)).toBeNull();
    expect(bodyPreview(Buffer.from('{"a":"secret"}'), 1, scrub)).toBe('{"a":"[X]"}');
    const long = bodyPreview(Buffer.from('é'.repeat(5000)), 2, scrub) as string;
    expect(Array.from(long)).toHaveLength(BODY_PREVIEW_CHARS);
    expect(bodyPreview(Buffer.from([0x89, 0x50, 0x00, 0x01]), 1, scrub)).toBe('[binary body: 4 bytes]');
  });
});
