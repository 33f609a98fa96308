import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { GENESIS_HASH, HASHED_FIELDS, bodySha256, canonicalRecordJson, hashChainLink } from './audit-chain';
import type { AuditCursor } from './audit-cursor';
import type { AuditFilter } from './audit-filter';
import type { AuditLogRow } from './audit.mapper';
import { AUDIT_BODY_COLUMNS, AUDIT_LOG_COLUMNS, type AuditBodies, type AuditRecord, type ChainedAuditRecord } from './audit-record';

const LOG_NAMES = AUDIT_LOG_COLUMNS.map(([name]) => `"${name}"`).join(', ');
const LOG_RECORDSET = AUDIT_LOG_COLUMNS.map(([name, type]) => `"${name}" ${type}`).join(', ');
const BODY_NAMES = AUDIT_BODY_COLUMNS.map(([name]) => `"${name}"`).join(', ');
const BODY_RECORDSET = AUDIT_BODY_COLUMNS.map(([name, type]) => `"${name}" ${type}`).join(', ');

/** Text of the error the write statement raises when a chain head moved under it. */
const CONFLICT_MARKER = 'audit_chain_conflict';

/**
 * One batch, one statement (so one transaction): move every project's chain head from the seq this
 * instance started from to the batch's last record (compare-and-set: `ON CONFLICT … WHERE last_seq =
 * expected`), then insert the records and their bodies with one multi-row INSERT per table. If any
 * head had moved (another instance wrote to the chain meanwhile), the statement fails as a whole and
 * nothing is written; the caller re-reads the heads and rebuilds the chain.
 * $1 records, $2 bodies, $3 heads `{project_id, expected_seq, last_seq, last_hash}`, $4 head count.
 */
const WRITE_BATCH = `WITH "heads" AS (
    INSERT INTO "audit_chain_heads" AS h ("project_id", "last_seq", "last_hash")
    SELECT v."project_id", v."last_seq", v."last_hash" FROM json_to_recordset($3::json) AS v("project_id" uuid, "last_seq" bigint, "last_hash" char(64))
    ON CONFLICT ("project_id") DO UPDATE SET "last_seq" = EXCLUDED."last_seq", "last_hash" = EXCLUDED."last_hash", "updated_at" = now()
    WHERE h."last_seq" = (SELECT e."expected_seq" FROM json_to_recordset($3::json) AS e("project_id" uuid, "expected_seq" bigint) WHERE e."project_id" = EXCLUDED."project_id")
    RETURNING h."project_id"
  ),
  "moved" AS (SELECT count(*) AS n FROM "heads"),
  "logs" AS (
    INSERT INTO "audit_logs" (${LOG_NAMES}) SELECT ${LOG_NAMES} FROM json_to_recordset($1::json) AS r(${LOG_RECORDSET}) RETURNING 1
  ),
  "bodies" AS (
    INSERT INTO "audit_log_bodies" (${BODY_NAMES}) SELECT ${BODY_NAMES} FROM json_to_recordset($2::json) AS b(${BODY_RECORDSET}) RETURNING 1
  )
SELECT CASE WHEN m.n = $4 THEN m.n ELSE ('${CONFLICT_MARKER} ' || m.n)::int END AS "heads",
  (SELECT count(*) FROM "logs")::int AS "logs", (SELECT count(*) FROM "bodies")::int AS "bodies"
FROM "moved" m`;

/** Conflicts retried at once (re-reading the heads) before the batch is handed back to the writer's backoff. */
const MAX_CONFLICT_RETRIES = 8;

/** A chain head kept moving under this instance (heavy concurrent writing to one project): retry later. */
export class AuditChainConflictError extends Error {
  constructor() {
    super('Audit chain heads kept moving during the write; the batch is retried');
    this.name = 'AuditChainConflictError';
  }
}

interface ChainHead {
  last_seq: number;
  last_hash: string;
}

const CREATED_AT_US = `to_char("created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "created_at_us"`;

const SUMMARY_COLUMNS = [
  'id',
  'seq',
  'created_at',
  'project_id',
  'token_id',
  'method',
  'path',
  'upstream_status',
  'response_latency_ms',
  'overhead_ms',
  'agent_name',
  'policy_result',
  'estimated_cost_usd',
  'shadow_violations',
  'fields_redacted',
  'prompt_tokens',
  'completion_tokens',
  'model',
  'model_alias',
  'provider',
  'tokens_per_second',
  'user_id',
  'tenant_id',
  'external_request_id',
  'session_id',
  'team_id',
  'tags',
  'log_level',
  'tool_call_count',
  'finish_reason',
  'error_type',
  'is_streaming',
  'cache_hit',
]
  .map((c) => `"${c}"`)
  .join(', ');

/** Who may see a record looked up by id alone. */
export type AuditRecordScope = { projectId: string } | { orgId: string } | { anyProject: true };

/**
 * Owns the SQL on `audit_logs`, `audit_log_bodies` and `audit_chain_heads` (no TypeORM entities:
 * the tables are partitioned).
 */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Last known head of each project's chain, as this instance last read or wrote it (verified on write). */
  private readonly heads = new Map<string, ChainHead>();

  /**
   * Writes a batch in one statement: gives every record its `seq`, `prev_hash` and `hash` in queue
   * order from the project's chain head, inserts the records and their bodies (one multi-row INSERT
   * per table) and moves the heads, all or nothing. Heads are cached; a head that moved meanwhile
   * (another instance) makes the statement fail, and the batch is rebuilt from freshly read heads.
   * Several instances thus extend one chain without gaps or forks, and a flush is one round trip.
   */
  async insertChained(records: readonly AuditRecord[]): Promise<ChainedAuditRecord[]> {
    const clean = records.map(prepareForWrite);
    const projects = [...new Set(clean.map((r) => r.project_id))];
    for (let attempt = 1; ; attempt++) {
      const missing = projects.filter((p) => !this.heads.has(p));
      if (missing.length > 0) await this.loadHeads(missing);
      const start = new Map(projects.map((p) => [p, this.heads.get(p) ?? { last_seq: 0, last_hash: GENESIS_HASH }]));
      const current = new Map(start);
      const rows: string[] = [];
      const chained = clean.map((prepared) => {
        const head = current.get(prepared.project_id) as ChainHead;
        // Chained in place (prepareForWrite), re-chained on a retry.
        let chainedRecord = prepared;
        chainedRecord.seq = head.last_seq + 1;
        chainedRecord.prev_hash = head.last_hash;
        chainedRecord.hash = '';
        // The canonical text is hashed and, with the unhashed columns appended, is also the stored row.
        let canonical = canonicalRecordJson(chainedRecord);
        chainedRecord.hash = hashChainLink(head.last_hash, canonical);
        let row = rowJson(canonical, chainedRecord);
        if (row.includes('\\u') && ESCAPED_UNSTORABLE.test(row)) {
          // Rare: a NUL or a lone surrogate somewhere in the fields. Store (and hash) them made storable.
          chainedRecord = {
            ...(cleanDeep({ ...prepared, bodies: null }) as AuditRecord),
            bodies: prepared.bodies,
            seq: chainedRecord.seq,
            prev_hash: head.last_hash,
            hash: '',
          };
          canonical = canonicalRecordJson(chainedRecord);
          chainedRecord.hash = hashChainLink(head.last_hash, canonical);
          row = rowJson(canonical, chainedRecord);
        }
        rows.push(row);
        current.set(prepared.project_id, { last_seq: chainedRecord.seq, last_hash: chainedRecord.hash });
        return chainedRecord;
      });
      const heads = projects.map((p) => ({ project_id: p, expected_seq: start.get(p)?.last_seq, ...current.get(p) }));
      let bodies = '';
      for (const r of chained) if (r.bodies !== null) bodies += (bodies === '' ? '' : ',') + bodyRowJson(r);
      try {
        await this.dataSource.query(WRITE_BATCH, [`[${rows.join(',')}]`, `[${bodies}]`, toJson(heads), projects.length]);
        for (const [p, head] of current) this.heads.set(p, head);
        return chained;
      } catch (error) {
        for (const p of projects) this.heads.delete(p);
        if (!isChainConflict(error)) throw error;
        if (attempt >= MAX_CONFLICT_RETRIES) throw new AuditChainConflictError();
      }
    }
  }

  private async loadHeads(projects: string[]): Promise<void> {
    const rows: { project_id: string; last_seq: string; last_hash: string }[] = await this.dataSource.query(
      `SELECT "project_id", "last_seq", "last_hash" FROM "audit_chain_heads" WHERE "project_id" = ANY($1::uuid[])`,
      [projects],
    );
    for (const p of projects) this.heads.set(p, { last_seq: 0, last_hash: GENESIS_HASH });
    for (const row of rows) this.heads.set(row.project_id, { last_seq: Number(row.last_seq), last_hash: row.last_hash.trim() });
  }

  /** Summaries, newest first, after `cursor` (exclusive) or skipping `offset`; `limit` rows at most. */
  async list(filter: AuditFilter, page: { limit: number; offset: number; cursor: AuditCursor | null }): Promise<AuditLogRow[]> {
    const params: unknown[] = [filter.projectId];
    const where = ['"project_id" = $1'];
    const param = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.tokenId !== undefined) where.push(`"token_id" = ${param(filter.tokenId)}`);
    if (filter.status) where.push(`"upstream_status" BETWEEN ${param(filter.status.min)} AND ${param(filter.status.max)}`);
    if (filter.policyResult !== undefined) where.push(`"policy_result" = ${param(filter.policyResult)}`);
    if (filter.model !== undefined) {
      const p = param(filter.model);
      where.push(`("model" = ${p} OR "model_alias" = ${p})`);
    }
    if (filter.sessionId !== undefined) where.push(`"session_id" = ${param(filter.sessionId)}`);
    if (filter.method !== undefined) where.push(`"method" = ${param(filter.method)}`);
    if (filter.pathPrefix !== undefined) where.push(`"path" LIKE ${param(escapeLike(filter.pathPrefix) + '%')} ESCAPE '\\'`);
    if (filter.from) where.push(`"created_at" >= ${param(filter.from.toISOString())}::timestamptz`);
    if (filter.to) where.push(`"created_at" < ${param(filter.to.toISOString())}::timestamptz`);
    if (page.cursor) {
      where.push(`("created_at", "id") < (${param(page.cursor.createdAt)}::timestamptz, ${param(page.cursor.id)}::uuid)`);
    }
    const sql = `SELECT ${SUMMARY_COLUMNS}, ${CREATED_AT_US} FROM "audit_logs" WHERE ${where.join(' AND ')}
      ORDER BY "created_at" DESC, "id" DESC LIMIT ${param(page.limit)} OFFSET ${param(page.offset)}`;
    return this.dataSource.query(sql, params);
  }

  /** One record with its bodies and headers, if it exists within `scope`. */
  async findDetail(id: string, scope: AuditRecordScope): Promise<AuditLogRow | null> {
    const params: unknown[] = [id];
    let condition = '';
    if ('projectId' in scope) {
      params.push(scope.projectId);
      condition = 'AND l."project_id" = $2';
    } else if ('orgId' in scope) {
      params.push(scope.orgId);
      condition = 'AND l."project_id" IN (SELECT "id" FROM "projects" WHERE "org_id" = $2)';
    }
    const rows: AuditLogRow[] = await this.dataSource.query(
      `SELECT l.*, to_char(l."created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "created_at_us",
         b."request_body", b."response_body", b."request_headers", b."response_headers", b."bodies_expired_at"
       FROM "audit_logs" l
       LEFT JOIN "audit_log_bodies" b ON b."audit_log_id" = l."id" AND b."created_at" = l."created_at"
       WHERE l."id" = $1 ${condition}
       LIMIT 1`,
      params,
    );
    return rows[0] ?? null;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The `audit_logs` columns that are not hashed (the chain fields and the fields written after insert). */
const UNHASHED_COLUMNS: readonly (readonly [string, string])[] = AUDIT_LOG_COLUMNS.map(([name]) => name)
  .filter((name) => !HASHED_FIELDS.includes(name))
  .map((name) => [name, JSON.stringify(name)]);

/**
 * The JSON object of one `audit_logs` row: the canonical text of the hashed columns (valid JSON, keys
 * sorted; `json_to_recordset` ignores key order) with the unhashed columns appended.
 */
function rowJson(canonical: string, record: ChainedAuditRecord): string {
  const source = record as unknown as Record<string, unknown>;
  let out = canonical.slice(0, -1);
  for (const [name, key] of UNHASHED_COLUMNS) out += `,${key}:${JSON.stringify(source[name] ?? null)}`;
  return out + '}';
}

/** The JSON object of one `audit_log_bodies` row (`json_to_recordset` ignores key order). */
function bodyRowJson(record: ChainedAuditRecord): string {
  const bodies = record.bodies as AuditBodies;
  return (
    `{"audit_log_id":${JSON.stringify(record.id)},"created_at":${JSON.stringify(record.created_at)},` +
    `"request_body":${JSON.stringify(bodies.request_body ?? null)},"response_body":${JSON.stringify(bodies.response_body ?? null)},` +
    `"request_headers":${JSON.stringify(bodies.request_headers ?? null)},"response_headers":${JSON.stringify(bodies.response_headers ?? null)}}`
  );
}

// NUL is not storable in PostgreSQL text/json; lone surrogates are not valid UTF-8.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Cheap first look: no NUL and no surrogate at all means nothing to fix (the common case). */
// eslint-disable-next-line no-control-regex
const MAYBE_UNSTORABLE = /[\u0000\uD800-\uDFFF]/;

function cleanString(text: string): string {
  if (!MAYBE_UNSTORABLE.test(text)) return text;
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(text) ? text.replace(UNSTORABLE, '\uFFFD') : text;
}

/** `value` with every string made storable; copy on write (the common clean value is returned as is). */
function cleanDeep(value: unknown): unknown {
  if (typeof value === 'string') return cleanString(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const cleaned = cleanDeep(value[i]);
      if (cleaned !== value[i]) (out ??= value.slice())[i] = cleaned;
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const key = cleanString(k);
      const cleaned = cleanDeep(source[k]);
      if (!out && (key !== k || cleaned !== source[k])) {
        out = {};
        for (let j = 0; j < i; j++) out[keys[j]] = source[keys[j]];
      }
      if (out) out[key] = cleaned;
    }
    return out ?? value;
  }
  return value;
}

/**
 * What JSON.stringify makes of an unstorable character: NUL and lone surrogates come out escaped
 * (`\u0000`, `\ud800`…), so a row text without such an escape holds none (a literal backslash-u text
 * only costs the slow path).
 */
const ESCAPED_UNSTORABLE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

/**
 * What is stored is what is hashed: strings made storable, then the bodies' SHA-256 computed at write
 * time (the chain hashes those, since bodies expire). Bodies are cleaned here; the other fields are
 * checked on their JSON text in {@link AuditRepository.insertChained} and cleaned only when needed.
 *
 * In place, without a copy: a record belongs to the write path once enqueued, and every step here
 * gives the same result when repeated (a retried or spilled record is prepared and chained again).
 */
function prepareForWrite(record: AuditRecord): ChainedAuditRecord {
  const prepared = record as ChainedAuditRecord;
  prepared.project_id = record.project_id.toLowerCase();
  const bodies = record.bodies;
  if (bodies) {
    const cleanBodies = cleanDeep(bodies) as NonNullable<AuditRecord['bodies']>;
    prepared.bodies = cleanBodies;
    prepared.request_body_sha256 = bodySha256(cleanBodies.request_body);
    prepared.response_body_sha256 = bodySha256(cleanBodies.response_body);
  } else {
    prepared.bodies = null;
    prepared.request_body_sha256 = null;
    prepared.response_body_sha256 = null;
  }
  return prepared;
}

function isChainConflict(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '22P02' && String((error as Error).message).includes(CONFLICT_MARKER);
}

function toJson(rows: unknown[]): string {
  return JSON.stringify(rows);
}
