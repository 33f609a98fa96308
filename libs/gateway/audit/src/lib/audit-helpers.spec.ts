import { createHash } from 'node:crypto';
import type { AuditSummary } from '@ailink/shared-contracts';
import {
  GENESIS_HASH,
  HASHED_FIELDS,
  bodySha256,
  canonicalJson,
  canonicalRecordJson,
  canonicalView,
  chainHash,
  hashedFields,
  microsecondTimestamp,
} from './audit-chain';
import { decodeCursor, encodeCursor } from './audit-cursor';
import { type AuditFilter, matchesFilter, parseStatusFilter } from './audit-filter';
import { partitionName, partitionRanges } from './audit-partitions';
import type { AuditRecord } from './audit-record';

describe('cursor encoding', () => {
  const cursor = { createdAt: '2026-03-01T12:00:00.123456Z', id: '0d9f6a1e-58a7-4b0c-9d2e-3f4a5b6c7d8e' };

  it('round-trips and is opaque (base64url)', () => {
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(text).not.toContain('2026');
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['not base64', '***'],
    ['empty', ''],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong shape', Buffer.from('{"t":1,"i":2}').toString('base64url')],
    ['bad timestamp', Buffer.from('{"t":"yesterday","i":"0d9f6a1e-58a7-4b0c-9d2e-3f4a5b6c7d8e"}').toString('base64url')],
    ['bad id', Buffer.from('{"t":"2026-03-01T12:00:00.123456Z","i":"1; DROP"}').toString('base64url')],
  ])('refuses %s', (_what, text) => {
    expect(decodeCursor(text)).toBeNull();
  });
});

describe('status filter', () => {
  it.each([
    ['200', { min: 200, max: 200 }],
    ['5xx', { min: 500, max: 599 }],
    ['4XX', { min: 400, max: 499 }],
    ['2xx', { min: 200, max: 299 }],
  ])('%s', (raw, range) => expect(parseStatusFilter(raw)).toEqual(range));

  it.each(['abc', '600', '99', '6xx', '2x', ''])('refuses %s', (raw) => expect(parseStatusFilter(raw)).toBeNull());
});

describe('stream filter matching', () => {
  const record = {
    project_id: 'p',
    token_id: 'tok_a',
    upstream_status: 503,
    policy_result: 'allowed',
    model: 'gpt-4o',
    model_alias: 'fast',
    session_id: 's1',
    method: 'POST',
    path: '/v1/chat/completions',
    created_at: '2026-03-01T12:00:00.000Z',
  } as AuditSummary;
  const match = (extra: Partial<AuditFilter>) => matchesFilter(record, { projectId: 'p', ...extra });

  it('applies every filter like the list does', () => {
    expect(match({})).toBe(true);
    expect(matchesFilter(record, { projectId: 'other' })).toBe(false);
    expect(match({ tokenId: 'tok_a' })).toBe(true);
    expect(match({ tokenId: 'tok_b' })).toBe(false);
    expect(match({ status: { min: 500, max: 599 } })).toBe(true);
    expect(match({ status: { min: 200, max: 299 } })).toBe(false);
    expect(match({ policyResult: 'denied' })).toBe(false);
    expect(match({ model: 'fast' })).toBe(true);
    expect(match({ model: 'gpt-4o' })).toBe(true);
    expect(match({ model: 'other' })).toBe(false);
    expect(match({ sessionId: 's2' })).toBe(false);
    expect(match({ method: 'GET' })).toBe(false);
    expect(match({ pathPrefix: '/v1/chat' })).toBe(true);
    expect(match({ pathPrefix: '/v1/embeddings' })).toBe(false);
    expect(match({ from: new Date('2026-03-01T12:00:00.000Z') })).toBe(true);
    expect(match({ to: new Date('2026-03-01T12:00:00.000Z') })).toBe(false);
  });
});

describe('partition ranges', () => {
  it('covers the current month and the months ahead, across a year end (UTC)', () => {
    const ranges = partitionRanges(new Date('2026-11-30T23:59:59.999Z'), 'month', 3);
    expect(ranges.map((r) => [r.suffix, r.from.toISOString(), r.to.toISOString()])).toEqual([
      ['2026_11', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
      ['2026_12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
      ['2027_01', '2027-01-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z'],
      ['2027_02', '2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'],
    ]);
    expect(partitionName('audit_logs', ranges[0])).toBe('audit_logs_p2026_11');
  });

  it('covers days', () => {
    const ranges = partitionRanges(new Date('2028-02-28T10:00:00Z'), 'day', 2);
    expect(ranges.map((r) => r.suffix)).toEqual(['2028_02_28', '2028_02_29', '2028_03_01']);
    expect(partitionName('audit_log_bodies', ranges[1])).toBe('audit_log_bodies_p2028_02_29');
  });
});

describe('hash chain (§4)', () => {
  it('canonicalises JSON per RFC 8785: sorted keys, no whitespace, ES numbers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1.5, y: 1e21, x: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"x":0,"y":1e+21,"z":1.5}}',
    );
    expect(canonicalJson({ é: 1, e: 2, E: 3 })).toBe('{"E":3,"e":2,"é":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
  });

  it('writes timestamps with exactly 6 fractional digits', () => {
    expect(microsecondTimestamp('2026-03-01T12:00:00.123Z')).toBe('2026-03-01T12:00:00.123000Z');
    expect(microsecondTimestamp('2026-03-01T12:00:00Z')).toBe('2026-03-01T12:00:00.000000Z');
    expect(microsecondTimestamp('2026-03-01T12:00:00.123456Z')).toBe('2026-03-01T12:00:00.123456Z');
  });

  it('hashes prev_hash + newline + the canonical immutable fields, leaving bodies and late fields out', () => {
    const record = {
      id: 'i',
      seq: 1,
      created_at: '2026-03-01T12:00:00.123Z',
      project_id: 'p',
      estimated_cost_usd: '0.001250',
      model: undefined,
      bodies: { request_body: 'secret' },
      guardrail_errors: [{ e: 1 }],
      async_findings: [],
      payload_url: 'file:///x',
      request_body_sha256: bodySha256('secret'),
    } as unknown as AuditRecord & { seq: number };
    const fields = hashedFields(record);
    expect(Object.keys(fields)).toEqual([...HASHED_FIELDS]);
    for (const excluded of ['hash', 'prev_hash', 'bodies', 'payload_url', 'async_findings', 'guardrail_errors', 'bodies_expired_at']) {
      expect(fields).not.toHaveProperty(excluded);
    }
    expect(fields).toMatchObject({ created_at: '2026-03-01T12:00:00.123000Z', model: null, tags: null, seq: 1 });
    const expected = createHash('sha256')
      .update(GENESIS_HASH + '\n' + canonicalJson(fields))
      .digest('hex');
    expect(canonicalJson(fields)).toContain(`"request_body_sha256":"${bodySha256('secret')}"`);
    expect(chainHash(GENESIS_HASH, record)).toBe(expected);
    // Late fields do not change the hash; immutable ones and the previous hash do.
    expect(chainHash(GENESIS_HASH, { ...record, guardrail_errors: [], payload_url: null })).toBe(expected);
    expect(chainHash(GENESIS_HASH, { ...record, seq: 2 })).not.toBe(expected);
    expect(chainHash('f'.repeat(64), record)).not.toBe(expected);
  });

  it('builds the canonical record text exactly like canonical_json over the hashed fields', () => {
    const record = {
      id: '0b5d…',
      seq: 42,
      created_at: '2026-03-01T12:00:00.5Z',
      project_id: 'p',
      tags: { zeta: 'z', alpha: 'a', é: 'e' },
      custom_properties: { nested: { b: [1, { y: null, x: 'é' }], a: true } },
      shadow_violations: [{ rule_index: 0, policy: 'p' }],
      upstream_status: 200,
      overhead_ms: 0.125,
      model: 'gpt-4o',
    } as unknown as AuditRecord & { seq: number };
    expect(canonicalRecordJson(record)).toBe(canonicalJson(hashedFields(record)));
  });

  it.each([
    ['array-index keys, which JSON.stringify would move first', { tags: { b: 'x', '10': 'y', '9': 'z', '01': 'w' } }],
    ['unsorted keys deep inside arrays', { policies_evaluated: [{ z: 1, a: [{ d: 1, c: { f: 2, e: 3 } }] }, 'x', 3] }],
    ['undefined members of objects and arrays', { custom_properties: { a: undefined, b: [undefined, 1] }, model: undefined }],
    ['numbers in ES form', { overhead_ms: -0, response_latency_ms: 1e21, tokens_per_second: 1.5e-7 }],
    ['non-plain objects', { router_info: new Date(0), tags: Object.create(null) as object }],
    ['unusual strings', { path: '/a"b\\c\u2028\u0000', agent_name: 'lone \ud800 surrogate', model: 'é𝄞' }],
  ])('gives the canonical_json text for %s', (_name, fields) => {
    const record = { id: 'i', seq: 7, created_at: '2026-03-01T12:00:00Z', project_id: 'p', ...fields } as unknown as AuditRecord & {
      seq: number;
    };
    const text = canonicalRecordJson(record);
    expect(text).toBe(canonicalJson(hashedFields(record)));
    expect(JSON.parse(text)).toMatchObject({ seq: 7, created_at: '2026-03-01T12:00:00.000000Z' });
  });

  it('spells out exactly the hashed fields, in canonical order', () => {
    const view = canonicalView({ seq: 1, created_at: '2026-03-01T12:00:00Z' } as unknown as AuditRecord & { seq: number });
    expect(Object.keys(view)).toEqual([...HASHED_FIELDS].sort());
  });

  it('refuses non-finite numbers, as canonical_json does', () => {
    const record = {
      id: 'i',
      seq: 1,
      created_at: '2026-03-01T12:00:00Z',
      overhead_ms: Number.POSITIVE_INFINITY,
    } as unknown as AuditRecord & {
      seq: number;
    };
    expect(() => canonicalRecordJson(record)).toThrow(TypeError);
  });
});
