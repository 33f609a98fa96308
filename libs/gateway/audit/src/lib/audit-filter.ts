import type { AuditSummary } from '@ailink/shared-contracts';

/** Validated filters of `GET /audit` and `GET /audit/stream` (§5), ready for SQL or in-memory matching. */
export interface AuditFilter {
  projectId: string;
  /** Public id (a bearer secret given by the client is hashed to it first). */
  tokenId?: string;
  /** Inclusive range of `upstream_status` (an exact code has `min === max`). */
  status?: { min: number; max: number };
  policyResult?: string;
  /** Matches `model` or `model_alias`. */
  model?: string;
  sessionId?: string;
  method?: string;
  pathPrefix?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** `503` → 503..503; `5xx` → 500..599; anything else → null. */
export function parseStatusFilter(raw: string): { min: number; max: number } | null {
  const text = raw.trim().toLowerCase();
  if (/^[1-5]xx$/.test(text)) {
    const base = Number(text[0]) * 100;
    return { min: base, max: base + 99 };
  }
  if (/^[1-5]\d\d$/.test(text)) {
    const code = Number(text);
    return { min: code, max: code };
  }
  return null;
}

/** Whether a freshly written record passes the stream's filters (the list applies the same ones in SQL). */
export function matchesFilter(record: AuditSummary, filter: AuditFilter): boolean {
  if (record.project_id !== filter.projectId) return false;
  if (filter.tokenId !== undefined && record.token_id !== filter.tokenId) return false;
  if (filter.status) {
    const status = record.upstream_status;
    if (status === null || status < filter.status.min || status > filter.status.max) return false;
  }
  if (filter.policyResult !== undefined && record.policy_result !== filter.policyResult) return false;
  if (filter.model !== undefined && record.model !== filter.model && record.model_alias !== filter.model) return false;
  if (filter.sessionId !== undefined && record.session_id !== filter.sessionId) return false;
  if (filter.method !== undefined && record.method !== filter.method) return false;
  if (filter.pathPrefix !== undefined && !record.path.startsWith(filter.pathPrefix)) return false;
  if (filter.from || filter.to) {
    const at = Date.parse(record.created_at);
    if (filter.from && at < filter.from.getTime()) return false;
    if (filter.to && at >= filter.to.getTime()) return false;
  }
  return true;
}
