import { isAllowed, scopeMatches, type Principal } from './principal';

const principal = (role: Principal['role'], scopes: string[]): Principal => ({
  orgId: 'o',
  userId: null,
  role,
  scopes,
  authMethod: 'api_key',
});

describe('scope matching (identity.md §2)', () => {
  it.each([
    ['tokens:read', 'tokens:read', true],
    ['*', 'policies:write', true],
    ['tokens:*', 'tokens:write', true],
    ['tokens:*', 'policies:read', false],
    ['tokens:read', 'tokens:write', false],
    ['token:*', 'tokens:read', false],
  ])('%s grants %s → %s', (granted, required, expected) => {
    expect(scopeMatches(granted, required)).toBe(expected);
  });

  it('lets superadmin and admin through, admin-only routes refuse members', () => {
    expect(isAllowed(principal('superadmin', []), 'system:write', true)).toBe(true);
    expect(isAllowed(principal('admin', []), 'system:write', true)).toBe(true);
    expect(isAllowed(principal('member', ['*']), 'system:write', true)).toBe(false);
    expect(isAllowed(principal('member', ['tokens:*']), 'tokens:write', false)).toBe(true);
    expect(isAllowed(principal('member', ['tokens:read']), 'tokens:write', false)).toBe(false);
  });

  it('honours only read scopes for readonly', () => {
    expect(isAllowed(principal('readonly', ['*']), 'tokens:read', false)).toBe(true);
    expect(isAllowed(principal('readonly', ['*']), 'tokens:write', false)).toBe(false);
  });

  it('readonly: wildcards grant only read scopes, and no write or manage scope is ever honoured', () => {
    expect(isAllowed(principal('readonly', ['tokens:*']), 'tokens:read', false)).toBe(true);
    expect(isAllowed(principal('readonly', ['tokens:*']), 'policies:read', false)).toBe(false);
    expect(isAllowed(principal('readonly', ['*']), 'keys:manage', false)).toBe(false);
    expect(isAllowed(principal('readonly', ['*']), 'sessions:write', false)).toBe(false);
    expect(isAllowed(principal('readonly', ['*']), 'pii:rehydrate', true)).toBe(false);
    expect(isAllowed(principal('readonly', ['*']), 'system:read', true)).toBe(false);
  });

  it('member: needs the exact scope, its resource wildcard or *', () => {
    expect(isAllowed(principal('member', []), 'tokens:read', false)).toBe(false);
    expect(isAllowed(principal('member', ['keys:manage']), 'keys:manage', false)).toBe(true);
    expect(isAllowed(principal('member', ['keys:*']), 'keys:manage', false)).toBe(true);
    expect(isAllowed(principal('member', ['*']), 'pii:rehydrate', false)).toBe(true);
    expect(isAllowed(principal('member', ['pii:rehydrate']), 'pii:rehydrate', true)).toBe(false);
  });

  it('admin: every scope within its organisation, admin-only routes included, without holding scopes', () => {
    expect(isAllowed(principal('admin', []), 'pii:rehydrate', true)).toBe(true);
    expect(isAllowed(principal('admin', ['tokens:read']), 'keys:manage', false)).toBe(true);
  });
});
