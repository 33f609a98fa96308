import type { WhoAmIResponse } from '@ailink/shared-contracts';

/** identity.md §2: a granted scope covers a required one when equal, `*`, or `{resource}:*`. */
export function scopeCovers(granted: string, required: string): boolean {
  if (granted === required || granted === '*') return true;
  return granted.endsWith(':*') && required.startsWith(granted.slice(0, -1));
}

/**
 * Whether the signed-in caller may use something that needs `scope` (and, for `adminOnly`, an admin
 * role): the same rules the gateway enforces (identity.md §2). The portal uses it to hide what a role
 * cannot use; the API enforces it regardless.
 */
export function canUse(identity: WhoAmIResponse | null, scope: string, adminOnly = false): boolean {
  if (!identity) return false;
  if (identity.role === 'SuperAdmin') return true;
  if (adminOnly && identity.role !== 'Admin') return false;
  if (identity.role === 'Admin') return true;
  if (identity.role === 'ReadOnly' && !scope.endsWith(':read')) return false;
  return identity.scopes.some((granted) => scopeCovers(granted, scope));
}
