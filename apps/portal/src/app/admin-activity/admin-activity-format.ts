import { ADMIN_KEY_ACTOR, type AdminAuditEntry } from '@ailink/shared-contracts';
import { authMethodLabel } from '../auth-method-label';

/** A shortened id for a table cell (the full one goes in `title`). */
export function shortId(id: string | null | undefined, length = 12): string {
  if (!id) return '';
  return id.length > length + 2 ? `${id.slice(0, length)}…` : id;
}

/** Who made the write, in words: "Admin key", "API key 1a2b3c4d…", "SSO session 9f8e…". */
export function actorLabel(entry: Pick<AdminAuditEntry, 'actor' | 'auth_method'>): string {
  if (entry.actor === ADMIN_KEY_ACTOR) return 'Admin key';
  return `${authMethodLabel(entry.auth_method)} ${shortId(entry.actor, 8)}`;
}

/** `token`, `team.member` → "token", "team member". */
export function kindLabel(kind: string): string {
  return kind.replace(/[._-]+/g, ' ');
}

/** Whether a snapshot was too large to keep (the gateway stores a marker instead). */
export function isTruncated(snapshot: unknown): boolean {
  return typeof snapshot === 'object' && snapshot !== null && (snapshot as { _truncated?: unknown })._truncated === true;
}
