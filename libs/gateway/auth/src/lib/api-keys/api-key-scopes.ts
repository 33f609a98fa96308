import {
  defaultApiKeyScopes,
  expandScopeGrant,
  isReadScope,
  isValidScopeGrant,
  isWildcardScope,
  type ApiKeyRole,
  type ValidationProblem,
} from '@ailink/shared-contracts';
import { scopeMatches, type Principal } from '@ailink/gateway-core';

/**
 * The scopes a new key is stored with (identity.md §3): the given ones (trimmed, deduplicated, in
 * order), or the role's defaults when `scopes` is omitted.
 */
export function grantedScopes(role: ApiKeyRole, scopes: readonly string[] | null | undefined): string[] {
  if (scopes === undefined || scopes === null) return defaultApiKeyScopes(role);
  return Array.from(new Set(scopes.map((s) => s.trim())));
}

/**
 * 422 problems of a requested scope list: every name must come from the scope table or be a
 * wildcard (`{resource}:*`, `*`); a readonly key may not list explicit write scopes (wildcards are
 * fine: on a readonly key they grant only their read scopes).
 */
export function scopeProblems(role: ApiKeyRole, scopes: readonly string[]): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  scopes.forEach((scope, i) => {
    const path = `$.scopes[${i}]`;
    if (!isValidScopeGrant(scope)) problems.push({ path, message: `unknown scope "${scope}"` });
    else if (role === 'readonly' && !isWildcardScope(scope) && !isReadScope(scope)) {
      problems.push({ path, message: `a readonly key cannot hold the write scope "${scope}"` });
    }
  });
  return problems;
}

/**
 * Why minting this key would give more than the caller has (403 `role_escalation`), or null. Admins
 * and the super-admin may mint any key; anyone below may not mint an admin key, nor a key covering a
 * scope it does not hold itself (wildcards are compared scope by scope, as the key would use them).
 */
export function escalationReason(caller: Principal, role: ApiKeyRole, scopes: readonly string[]): string | null {
  if (caller.role === 'superadmin' || caller.role === 'admin') return null;
  if (role === 'admin') return 'Only an admin may mint an admin key';
  const callerGrants =
    caller.role === 'readonly' ? caller.scopes.filter((g) => g.endsWith(':read') || g.endsWith(':*') || g === '*') : caller.scopes;
  const missing = new Set<string>();
  for (const grant of scopes) {
    for (const scope of expandScopeGrant(grant, role)) {
      const held = callerGrants.some((g) => scopeMatches(g, scope)) && (caller.role !== 'readonly' || isReadScope(scope));
      if (!held) missing.add(scope);
    }
  }
  if (missing.size === 0) return null;
  return `You cannot grant scopes you do not hold: ${Array.from(missing).sort().join(', ')}`;
}
