import type { AuthMethod } from '@ailink/shared-contracts';

export type Role = 'superadmin' | 'admin' | 'member' | 'readonly';

/** Who is calling the Management API; attached to the request by the auth guard. */
export interface Principal {
  orgId: string;
  userId: string | null;
  role: Role;
  scopes: readonly string[];
  authMethod: AuthMethod;
  keyId?: string;
  email?: string;
  /** A key (or user) acting for one team: its reads and writes are limited to the team's resources. */
  teamId?: string | null;
}

/** identity.md §2: equal, `*`, or `{resource}:*` covering `{resource}:…`. */
export function scopeMatches(granted: string, required: string): boolean {
  if (granted === required || granted === '*') return true;
  if (granted.endsWith(':*')) return required.startsWith(granted.slice(0, -1));
  return false;
}

/** Whether the principal may call a route requiring `required` (and, for R routes, an admin role). */
export function isAllowed(principal: Principal, required: string, adminOnly: boolean): boolean {
  if (principal.role === 'superadmin') return true;
  if (adminOnly && principal.role !== 'admin') return false;
  if (principal.role === 'admin') return true;
  if (principal.role === 'readonly' && !required.endsWith(':read')) return false;
  return principal.scopes.some((granted) => scopeMatches(granted, required));
}
