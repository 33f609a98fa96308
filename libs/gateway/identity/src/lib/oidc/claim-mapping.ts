import { MANAGEMENT_SCOPES, SCOPE_RESOURCES, type OidcClaimMapping, type UserRole } from '@ailink/shared-contracts';
import { normaliseRole } from '../users/users.service';

const RANK: Record<UserRole, number> = { readonly: 0, member: 1, admin: 2 };
const KNOWN_SCOPES: ReadonlySet<string> = new Set<string>([...MANAGEMENT_SCOPES, '*', ...SCOPE_RESOURCES.map((r) => `${r}:*`)]);

/** What a provider's claim mapping makes of a verified token's claims. */
export interface MappedClaims {
  /** The role the claims grant; null when the role claim is absent or none of its values maps. */
  claimRole: UserRole | null;
  scopes: string[];
  /** Team ids of the groups present; null when nothing is to be synchronised (no mapping, or no groups claim). */
  teamIds: string[] | null;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** A claim by name, else by dotted path (`realm_access.roles`). */
export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(claims, name)) return claims[name];
  let current: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function strings(value: unknown, split = false): string[] | null {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (typeof value === 'string') return split ? value.split(/[\s,]+/).filter(Boolean) : [value];
  return null;
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/**
 * Applies a claim mapping (identity.md §4):
 * - role: the `role` claim (a string, or an array such as a groups claim). With `role_values`, only
 *   mapped values count; without, values are role names (`superadmin` → admin, `viewer` → readonly).
 *   The highest role wins; none → null (the caller falls back to the default role).
 * - scopes: the `scopes` claim (array, or a string separated by spaces or commas), known scope names
 *   and wildcards only; missing → the provider's default scopes.
 * - groups → teams: `group_teams` for the groups present in the `groups` claim (default `groups`).
 */
export function mapClaims(claims: Record<string, unknown>, mapping: OidcClaimMapping, defaultScopes: readonly string[]): MappedClaims {
  let claimRole: UserRole | null = null;
  if (mapping.role) {
    const values = strings(claimValue(claims, mapping.role)) ?? [];
    const table = mapping.role_values && Object.keys(mapping.role_values).length > 0 ? mapping.role_values : null;
    for (const value of values) {
      const role = normaliseRole(table ? table[value] : value);
      if (role && (claimRole === null || RANK[role] > RANK[claimRole])) claimRole = role;
    }
  }

  const scopeValues = mapping.scopes ? strings(claimValue(claims, mapping.scopes), true) : null;
  const scopes = scopeValues === null ? [...defaultScopes] : Array.from(new Set(scopeValues.filter((s) => KNOWN_SCOPES.has(s))));

  let teamIds: string[] | null = null;
  const groupTeams = mapping.group_teams ?? {};
  if (Object.keys(groupTeams).length > 0) {
    const groups = strings(claimValue(claims, mapping.groups ?? 'groups'));
    if (groups !== null) {
      teamIds = Array.from(new Set(groups.map((g) => groupTeams[g]).filter((id): id is string => typeof id === 'string')));
    }
  }

  return {
    claimRole,
    scopes,
    teamIds,
    email: text(claimValue(claims, mapping.email ?? 'email')),
    emailVerified: claims['email_verified'] === true || claims['email_verified'] === 'true',
    name: text(claimValue(claims, mapping.name ?? 'name')),
  };
}
