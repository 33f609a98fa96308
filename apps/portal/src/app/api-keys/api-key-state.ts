import type { ApiKey, ApiKeyRole } from '@ailink/shared-contracts';

export type ApiKeyState = 'active' | 'expired' | 'revoked';

export const API_KEY_STATE_LABELS: Record<ApiKeyState, string> = { active: 'Active', expired: 'Expired', revoked: 'Revoked' };

export const API_KEY_ROLE_LABELS: Record<ApiKeyRole, string> = { admin: 'Admin', member: 'Member', readonly: 'Read-only' };

/** What the role allows (identity.md §2), for the create form. */
export const API_KEY_ROLE_DESCRIPTIONS: Record<ApiKeyRole, string> = {
  admin: 'Everything in this organisation, including admin-only actions. Default scopes: all (*).',
  member: 'Only what its scopes grant. Default scopes: none.',
  readonly: 'Only read scopes are honoured. Default scopes: every read scope.',
};

export function apiKeyState(key: ApiKey, now: number): ApiKeyState {
  if (!key.is_active) return 'revoked';
  if (key.expires_at && new Date(key.expires_at).getTime() <= now) return 'expired';
  return 'active';
}

/** A short summary of a scope list for the table: `*` reads as "All scopes". */
export function scopeSummary(scopes: readonly string[]): string {
  if (scopes.length === 0) return 'None';
  if (scopes.includes('*')) return 'All scopes';
  return scopes.join(', ');
}
