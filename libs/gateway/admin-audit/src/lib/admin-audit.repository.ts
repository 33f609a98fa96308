import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AdminAuditCursor } from './admin-audit-cursor';
import type { AdminAuditRecord, AdminAuditRow } from './admin-audit-record';

/**
 * One batch, one statement: a multi-row INSERT from a JSON array. A record without `org_id` takes
 * its project's organisation (a super-admin acting on another organisation's resource), else the
 * caller's. `ON CONFLICT DO NOTHING` makes a retried batch (or a record drained twice from the
 * spill list) harmless.
 */
const INSERT_BATCH = `INSERT INTO "admin_audit_log"
    ("id", "org_id", "project_id", "actor", "auth_method", "method", "path", "route", "resource_kind", "resource_id",
     "status", "request_id", "created_at", "before", "after")
  SELECT r."id", COALESCE(r."org_id", p."org_id", r."fallback_org_id"), r."project_id", r."actor", r."auth_method", r."method",
     r."path", r."route", r."resource_kind", r."resource_id", r."status", r."request_id", r."created_at", r."before", r."after"
  FROM json_to_recordset($1::json) AS r(
    "id" uuid, "org_id" uuid, "fallback_org_id" uuid, "project_id" uuid, "actor" varchar, "auth_method" varchar, "method" varchar,
    "path" text, "route" varchar, "resource_kind" varchar, "resource_id" varchar, "status" smallint, "request_id" varchar,
    "created_at" timestamptz, "before" jsonb, "after" jsonb)
  LEFT JOIN "projects" p ON p."id" = r."project_id"
  ON CONFLICT ("id") DO NOTHING`;

const COLUMNS = `"id", "org_id", "project_id", "actor", "auth_method", "method", "path", "route", "resource_kind", "resource_id",
  "status", "request_id", "created_at", "before", "after",
  to_char("created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "created_at_us"`;

/** Filters of a listing; `orgId` null only for the super-admin's by-id lookups. */
export interface AdminAuditFilter {
  orgId: string;
  actor?: string;
  resourceKind?: string;
  resourceId?: string;
  method?: string;
  projectId?: string;
  from?: Date;
  to?: Date;
}

export interface AdminAuditPageRequest {
  limit: number;
  offset: number;
  cursor: AdminAuditCursor | null;
}

/** The queries of the admin audit trail (raw SQL: one statement per batch, keyset pagination). */
@Injectable()
export class AdminAuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Writes a batch in one statement (one transaction). Resolves to the rows actually inserted. */
  async insertBatch(records: readonly AdminAuditRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const result: unknown = await this.dataSource.query(INSERT_BATCH, [JSON.stringify(records)]);
    // pg returns [rows, affected] for INSERT through TypeORM's query(); PGlite may return the rows only.
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : records.length;
  }

  /** Newest first; `(created_at, id)` keyset after the cursor, or an offset. */
  async list(filter: AdminAuditFilter, page: AdminAuditPageRequest): Promise<AdminAuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    add(`"org_id" = ?`, filter.orgId);
    if (filter.actor !== undefined) add(`"actor" = ?`, filter.actor);
    if (filter.resourceKind !== undefined) add(`"resource_kind" = ?`, filter.resourceKind);
    if (filter.resourceId !== undefined) add(`"resource_id" = ?`, filter.resourceId);
    if (filter.method !== undefined) add(`"method" = ?`, filter.method);
    if (filter.projectId !== undefined) add(`"project_id" = ?::uuid`, filter.projectId);
    if (filter.from) add(`"created_at" >= ?`, filter.from.toISOString());
    if (filter.to) add(`"created_at" < ?`, filter.to.toISOString());
    if (page.cursor) {
      params.push(page.cursor.createdAt, page.cursor.id);
      where.push(`("created_at", "id") < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(page.limit, page.offset);
    const sql = `SELECT ${COLUMNS} FROM "admin_audit_log" WHERE ${where.join(' AND ')}
      ORDER BY "created_at" DESC, "id" DESC LIMIT $${params.length - 1} OFFSET $${params.length}`;
    return this.dataSource.query(sql, params);
  }

  /** One row, in the organisation (any organisation when `orgId` is null). */
  async find(id: string, orgId: string | null): Promise<AdminAuditRow | null> {
    const rows: AdminAuditRow[] =
      orgId === null
        ? await this.dataSource.query(`SELECT ${COLUMNS} FROM "admin_audit_log" WHERE "id" = $1`, [id])
        : await this.dataSource.query(`SELECT ${COLUMNS} FROM "admin_audit_log" WHERE "id" = $1 AND "org_id" = $2`, [id, orgId]);
    return rows[0] ?? null;
  }

  /** Whether the organisation exists (a super-admin naming an unknown one gets 404). */
  async organizationExists(orgId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM "organizations" WHERE "id" = $1`, [orgId]);
    return rows.length > 0;
  }
}
