/** Management API keys (identity.md §2–§3; data-model.md `api_keys`). */
import { MANAGEMENT_SCOPES, type ManagementScope } from './identity';

/** Roles an API key can carry (`superadmin` belongs to the admin key only). */
export const API_KEY_ROLES = ['admin', 'member', 'readonly'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** Every key starts with this: `ak_live_{first 8 chars of org UUID}_{32 lowercase hex}`. */
export const API_KEY_PREFIX = 'ak_live_';
export const API_KEY_PATTERN = /^ak_live_[0-9a-f]{8}_[0-9a-f]{32}$/;

/** `GET /auth/keys` item: never the key or its hash. `team_id` is an addition to the spec's fields. */
export interface ApiKey {
  id: string;
  org_id: string;
  user_id: string | null;
  team_id: string | null;
  name: string;
  /** Display prefix, e.g. `ak_live_00000000_3f9a`. */
  key_prefix: string;
  role: ApiKeyRole;
  scopes: string[];
  is_active: boolean;
  last_used_at: string | null;
  expires_at: string | null;
  created_at: string;
}

/** `POST /auth/keys`. */
export interface CreateApiKeyRequest {
  name: string;
  role: ApiKeyRole;
  /** Omitted: `["*"]` for admin, every `:read` scope for readonly, `[]` for member. */
  scopes?: string[];
  expires_at?: string | null;
  team_id?: string | null;
  /** Superadmin only: mint in another organisation. */
  org_id?: string;
}

/** `POST /auth/keys` → 201. `key` is shown only here. */
export interface CreateApiKeyResponse {
  id: string;
  key: string;
  message: string;
  name: string;
  key_prefix: string;
  role: ApiKeyRole;
  scopes: string[];
  expires_at: string | null;
}

/** The resources of the scope table (`tokens`, `policies`, …), for `{resource}:*` wildcards. */
export const SCOPE_RESOURCES: readonly string[] = Array.from(new Set(MANAGEMENT_SCOPES.map((s) => s.slice(0, s.indexOf(':')))));

/** The `:read` scopes: what a readonly key can ever use. */
export const READ_SCOPES: readonly ManagementScope[] = MANAGEMENT_SCOPES.filter((s) => s.endsWith(':read'));

export function isReadScope(scope: string): boolean {
  return scope.endsWith(':read');
}

/** A grantable scope name: one of the table, `{resource}:*` for a known resource, or `*`. */
export function isValidScopeGrant(scope: string): boolean {
  if (scope === '*') return true;
  if (scope.endsWith(':*')) return SCOPE_RESOURCES.includes(scope.slice(0, -2));
  return (MANAGEMENT_SCOPES as readonly string[]).includes(scope);
}

/** A grant that names no single scope: `*` or `{resource}:*`. */
export function isWildcardScope(scope: string): boolean {
  return scope === '*' || scope.endsWith(':*');
}

/**
 * The concrete scopes a grant covers (identity.md §2 matching: equal, `*`, or `{resource}:*`). For
 * a readonly key only the `:read` scopes count, whatever the grant says.
 */
export function expandScopeGrant(grant: string, role?: ApiKeyRole): ManagementScope[] {
  const covered = MANAGEMENT_SCOPES.filter(
    (s) => grant === '*' || grant === s || (grant.endsWith(':*') && s.startsWith(grant.slice(0, -1))),
  );
  return role === 'readonly' ? covered.filter(isReadScope) : covered;
}

/** The scopes a new key gets when `scopes` is omitted. */
export function defaultApiKeyScopes(role: ApiKeyRole): string[] {
  if (role === 'admin') return ['*'];
  if (role === 'readonly') return [...READ_SCOPES];
  return [];
}
