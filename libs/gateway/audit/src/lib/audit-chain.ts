import { createHash } from 'node:crypto';
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

/** The hashed field names in canonical (UTF-16) order, with their JSON-encoded keys. */
const SORTED_HASHED_FIELDS: readonly (readonly [string, string])[] = [...HASHED_FIELDS].sort().map((name) => [name, JSON.stringify(name)]);

/**
 * `canonical_json(hashedFields(record))` without building the intermediate object or sorting per
 * record: the field list is fixed, so its canonical order is computed once (same output, see spec).
 */
export function canonicalRecordJson(record: AuditRecord & { seq: number }): string {
  const source = record as unknown as Record<string, unknown>;
  let out = '{';
  for (let i = 0; i < SORTED_HASHED_FIELDS.length; i++) {
    const [name, key] = SORTED_HASHED_FIELDS[i];
    const value = source[name];
    const normalised = name === 'created_at' && typeof value === 'string' ? microsecondTimestamp(value) : (value ?? null);
    out += (i === 0 ? '' : ',') + key + ':' + canonicalJson(normalised);
  }
  return out + '}';
}

/** `hash` = lowercase hex SHA-256 of `prev_hash + "\n" + canonical_json(record)`. */
export function chainHash(prevHash: string, record: AuditRecord & { seq: number }): string {
  return hashChainLink(prevHash, canonicalRecordJson(record));
}

/** The chain hash from the previous hash and a record's canonical text ({@link canonicalRecordJson}). */
export function hashChainLink(prevHash: string, canonical: string): string {
  return createHash('sha256')
    .update(prevHash + '\n' + canonical, 'utf8')
    .digest('hex');
}

/** Lowercase hex SHA-256 of a stored body (null when none is stored). */
export function bodySha256(body: string | null): string | null {
  return body === null ? null : createHash('sha256').update(body, 'utf8').digest('hex');
}
