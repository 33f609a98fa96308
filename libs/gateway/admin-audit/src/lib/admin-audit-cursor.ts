/** Position after which the next page starts: newest first, ties broken by id (both descending). */
export interface AdminAuditCursor {
  /** `created_at` with microseconds, RFC 3339 UTC (`2026-01-02T03:04:05.678901Z`). */
  createdAt: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque to clients: base64url of `{"t":…,"i":…}` (the same shape as `GET /audit` cursors). */
export function encodeAdminAuditCursor(cursor: AdminAuditCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt, i: cursor.id }), 'utf8').toString('base64url');
}

/** The cursor, or null when the text is not one this gateway issued. */
export function decodeAdminAuditCursor(text: string): AdminAuditCursor | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return null;
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    if (typeof parsed.t !== 'string' || typeof parsed.i !== 'string') return null;
    if (!TIMESTAMP.test(parsed.t) || !UUID.test(parsed.i) || Number.isNaN(Date.parse(parsed.t))) return null;
    return { createdAt: parsed.t, id: parsed.i };
  } catch {
    return null;
  }
}
