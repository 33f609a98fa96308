import { sha256Hex } from '@ailink/gateway-core';
import { AUDIT_LOG_COLUMNS, type AuditRecord } from './audit-record';

/** `prev_hash` of a project's first record (§4). */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hashed fields (§4): every `audit_logs` column except the chain fields themselves and the fields
 * written after insert. Body and header contents live in `audit_log_bodies` and are hashed through
 * `request_body_sha256` / `response_body_sha256`. A fixed list, so that a verifier reading the rows
 * back hashes exactly what the writer hashed.
 */
export const HASHED_FIELDS: readonly string[] = AUDIT_LOG_COLUMNS.map(([name]) => name).filter(
  (name) => !['hash', 'prev_hash', 'payload_url', 'async_findings', 'guardrail_errors'].includes(name),
);

/** RFC 8785 JSON canonicalisation: sorted keys (UTF-16 order), ES number form, no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return out + ']';
  }
  if (typeof value === 'object') {
    const source = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, as RFC 8785 asks.
    const keys = Object.keys(source).sort();
    let out = '{';
    let first = true;
    for (const k of keys) {
      const v = source[k];
      if (v === undefined) continue;
      out += (first ? '' : ',') + JSON.stringify(k) + ':' + canonicalJson(v);
      first = false;
    }
    return out + '}';
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}

/** `2026-01-02T03:04:05.678Z` → `2026-01-02T03:04:05.678000Z` (RFC 3339 UTC, 6 fractional digits). */
export function microsecondTimestamp(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(iso);
  if (!match) return new Date(iso).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  return `${match[1]}.${(match[2] ?? '').padEnd(6, '0')}Z`;
}

/** The hashed view of a record: every immutable field, timestamps with microseconds, absent as null. */
export function hashedFields(record: AuditRecord & { seq: number }): Record<string, unknown> {
  const source = record as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of HASHED_FIELDS) {
    const value = source[key];
    out[key] = key === 'created_at' && typeof value === 'string' ? microsecondTimestamp(value) : (value ?? null);
  }
  return out;
}

/** Thrown inside {@link canonicalRecordJson}'s fast path for a value only {@link canonicalJson} spells right. */
const SLOW_PATH = Symbol('canonical slow path');

/** A key `JSON.stringify` would move ahead of the others (array-index keys go first, in numeric order). */
const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * `value` in a form whose `JSON.stringify` text is its RFC 8785 canonical text: the value itself when
 * it already is (the common case: null, strings, numbers, arrays of those, objects with sorted keys),
 * else a copy with sorted keys. Values `JSON.stringify` cannot spell canonically (array-index keys,
 * non-plain objects, non-finite numbers, functions) throw {@link SLOW_PATH}.
 */
function canonicalValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw SLOW_PATH;
      return value;
    case 'object':
      break;
    default:
      throw SLOW_PATH;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as unknown;
      const canonical = item === undefined ? null : canonicalValue(item);
      if (canonical !== item) (out ??= value.slice())[i] = canonical;
    }
    return out ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw SLOW_PATH;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  let sorted = true;
  let same = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (INDEX_KEY.test(key)) throw SLOW_PATH;
    if (i > 0 && keys[i - 1] > key) sorted = false;
    const item = source[key];
    if (item !== undefined && canonicalValue(item) !== item) same = false;
  }
  if (sorted && same) return value;
  const out: Record<string, unknown> = {};
  for (const key of sorted ? keys : keys.slice().sort()) {
    const item = source[key];
    if (item !== undefined) out[key] = canonicalValue(item);
  }
  return out;
}

function timestampOf(value: unknown): unknown {
  return typeof value === 'string' ? microsecondTimestamp(value) : canonicalValue(value);
}

/**
 * The hashed fields as one object literal whose keys are written in canonical (UTF-16) order, so that
 * `JSON.stringify` emits them in that order; nested values made canonical by {@link canonicalValue}.
 * Spelled out rather than looped over {@link HASHED_FIELDS}: named property reads and one literal are
 * several times faster than keyed reads and writes of 52 names. A test keeps both lists equal.
 */
export function canonicalView(r: AuditRecord & { seq: number }): Record<string, unknown> {
  return {
    agent_name: canonicalValue(r.agent_name),
    approval_id: canonicalValue(r.approval_id),
    cache_hit: canonicalValue(r.cache_hit),
    completion_tokens: canonicalValue(r.completion_tokens),
    created_at: timestampOf(r.created_at),
    custom_properties: canonicalValue(r.custom_properties),
    deny_reason: canonicalValue(r.deny_reason),
    error_type: canonicalValue(r.error_type),
    estimated_cost_usd: canonicalValue(r.estimated_cost_usd),
    experiment_name: canonicalValue(r.experiment_name),
    external_request_id: canonicalValue(r.external_request_id),
    fields_redacted: canonicalValue(r.fields_redacted),
    finish_reason: canonicalValue(r.finish_reason),
    hitl_decision: canonicalValue(r.hitl_decision),
    hitl_latency_ms: canonicalValue(r.hitl_latency_ms),
    hitl_required: canonicalValue(r.hitl_required),
    id: canonicalValue(r.id),
    is_streaming: canonicalValue(r.is_streaming),
    log_level: canonicalValue(r.log_level),
    method: canonicalValue(r.method),
    model: canonicalValue(r.model),
    model_alias: canonicalValue(r.model_alias),
    overhead_ms: canonicalValue(r.overhead_ms),
    parent_span_id: canonicalValue(r.parent_span_id),
    path: canonicalValue(r.path),
    policies_evaluated: canonicalValue(r.policies_evaluated),
    policy_mode: canonicalValue(r.policy_mode),
    policy_result: canonicalValue(r.policy_result),
    pricing_missing: canonicalValue(r.pricing_missing),
    project_id: canonicalValue(r.project_id),
    prompt_tokens: canonicalValue(r.prompt_tokens),
    provider: canonicalValue(r.provider),
    request_body_sha256: canonicalValue(r.request_body_sha256),
    request_id: canonicalValue(r.request_id),
    response_body_sha256: canonicalValue(r.response_body_sha256),
    response_latency_ms: canonicalValue(r.response_latency_ms),
    router_info: canonicalValue(r.router_info),
    seq: canonicalValue(r.seq),
    session_id: canonicalValue(r.session_id),
    shadow_violations: canonicalValue(r.shadow_violations),
    tags: canonicalValue(r.tags),
    team_id: canonicalValue(r.team_id),
    tenant_id: canonicalValue(r.tenant_id),
    token_id: canonicalValue(r.token_id),
    tokens_per_second: canonicalValue(r.tokens_per_second),
    tool_call_count: canonicalValue(r.tool_call_count),
    tool_calls: canonicalValue(r.tool_calls),
    ttft_ms: canonicalValue(r.ttft_ms),
    upstream_status: canonicalValue(r.upstream_status),
    upstream_url: canonicalValue(r.upstream_url),
    user_id: canonicalValue(r.user_id),
    variant_name: canonicalValue(r.variant_name),
  };
}

/**
 * `canonical_json(hashedFields(record))`, built by one native `JSON.stringify` over {@link canonicalView}.
 * A record holding a value only the general {@link canonicalJson} spells right takes that path; both
 * give the same text (tested).
 */
export function canonicalRecordJson(record: AuditRecord & { seq: number }): string {
  try {
    return JSON.stringify(canonicalView(record));
  } catch (error) {
    if (error !== SLOW_PATH) throw error;
    return canonicalJson(hashedFields(record));
  }
}

/** `hash` = lowercase hex SHA-256 of `prev_hash + "\n" + canonical_json(record)`. */
export function chainHash(prevHash: string, record: AuditRecord & { seq: number }): string {
  return hashChainLink(prevHash, canonicalRecordJson(record));
}

/** The chain hash from the previous hash and a record's canonical text ({@link canonicalRecordJson}). */
export function hashChainLink(prevHash: string, canonical: string): string {
  return sha256Hex(prevHash + '\n' + canonical);
}

/** Lowercase hex SHA-256 of a stored body (null when none is stored). */
export function bodySha256(body: string | null): string | null {
  return body === null ? null : sha256Hex(body);
}
