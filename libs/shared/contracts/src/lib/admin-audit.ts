import type { AuthMethod } from './identity';

/** Methods the admin audit trail records (management-api.md "Admin audit trail"). */
export const ADMIN_AUDIT_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type AdminAuditMethod = (typeof ADMIN_AUDIT_METHODS)[number];

/** `actor` of a write made with the admin key (otherwise the API key id or the user id). */
export const ADMIN_KEY_ACTOR = 'admin_key';

/** What replaces a secret in `before`/`after` (and in recorded paths). */
export const ADMIN_AUDIT_MASK = '***';

/**
 * One row of `GET /api/v1/audit/admin` (`AdminAuditEntry`): a successful Management API write.
 * `before`/`after` are the resource's API representation before and after the write (null on
 * create/delete respectively, and null when no representation is known), every secret replaced by
 * `"***"` and every virtual-token bearer secret by the token's public id.
 */
export interface AdminAuditEntry {
  id: string;
  /** The organisation the changed resource belongs to. */
  org_id: string;
  /** API key id, user id, or `admin_key`. */
  actor: string;
  auth_method: AuthMethod;
  method: AdminAuditMethod;
  /** Path and query as received, bearer secrets replaced by public ids. */
  path: string;
  resource_kind: string;
  /** The resource's id (a token's public id, never its secret); null when the write names none. */
  resource_id: string | null;
  /** HTTP status of the answer (2xx: only successful writes are recorded). */
  status: number;
  request_id: string;
  created_at: string;
  before: unknown;
  after: unknown;
  /** Additions to the spec's fields: the project of the resource, when it lives in one. */
  project_id: string | null;
  /** The route pattern that served the write, e.g. `/api/v1/tokens/:id`. */
  route: string;
}

/** Query of `GET /api/v1/audit/admin`: filters, time range and pagination (`offset` or `cursor`, not both). */
export interface AdminAuditListQuery {
  /** Exact actor: an API key id, a user id or `admin_key`. */
  actor?: string;
  resource_kind?: string;
  /** Exact resource id (a token's bearer secret is accepted and matched by its public id). */
  resource_id?: string;
  method?: AdminAuditMethod;
  project_id?: string;
  /** RFC 3339, inclusive. */
  from?: string;
  /** RFC 3339, exclusive. */
  to?: string;
  /** Super-admin only: read another organisation's trail. */
  org_id?: string;
  /** 1–200, default 50. */
  limit?: number;
  offset?: number;
  /** The previous page's `X-Next-Cursor`. */
  cursor?: string;
}
