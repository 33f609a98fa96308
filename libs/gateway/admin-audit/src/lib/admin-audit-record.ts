import type { AdminAuditEntry, AdminAuditMethod, AuthMethod } from '@ailink/shared-contracts';

/**
 * A write as the recorder hands it to the writer (JSON-safe: it may travel through the Redis spill
 * list). Secrets are already masked.
 */
export interface AdminAuditRecord {
  id: string;
  /** The resource's organisation when known; null: look it up from `project_id` at write time. */
  org_id: string | null;
  /** The caller's organisation: used when `org_id` is null and the project names none. */
  fallback_org_id: string;
  project_id: string | null;
  actor: string;
  auth_method: AuthMethod;
  method: AdminAuditMethod;
  path: string;
  route: string;
  resource_kind: string;
  resource_id: string | null;
  status: number;
  request_id: string;
  /** RFC 3339 with milliseconds. */
  created_at: string;
  before: unknown;
  after: unknown;
}

/** A row as the list query reads it (`created_at_us`: microsecond timestamp, for cursors). */
export interface AdminAuditRow {
  id: string;
  org_id: string;
  project_id: string | null;
  actor: string;
  auth_method: AuthMethod;
  method: AdminAuditMethod;
  path: string;
  route: string;
  resource_kind: string;
  resource_id: string | null;
  status: number;
  request_id: string;
  created_at: Date;
  created_at_us: string;
  before: unknown;
  after: unknown;
}

export function entryOfRow(row: AdminAuditRow): AdminAuditEntry {
  return {
    id: row.id,
    org_id: row.org_id,
    actor: row.actor,
    auth_method: row.auth_method,
    method: row.method,
    path: row.path,
    resource_kind: row.resource_kind,
    resource_id: row.resource_id,
    status: Number(row.status),
    request_id: row.request_id,
    created_at: new Date(row.created_at).toISOString(),
    before: row.before ?? null,
    after: row.after ?? null,
    project_id: row.project_id,
    route: row.route,
  };
}

/** Whether a value read back from the spill list is a record this writer can insert. */
export function isAdminAuditRecord(value: unknown): value is AdminAuditRecord {
  const r = value as Partial<AdminAuditRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.fallback_org_id === 'string' &&
    typeof r.actor === 'string' &&
    typeof r.method === 'string' &&
    typeof r.path === 'string' &&
    typeof r.route === 'string' &&
    typeof r.resource_kind === 'string' &&
    typeof r.status === 'number' &&
    typeof r.request_id === 'string' &&
    typeof r.created_at === 'string'
  );
}
