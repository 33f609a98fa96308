import type { RoleName, WhoAmIResponse } from '@ailink/shared-contracts';
import { canUse, scopeCovers } from './permissions';

const who = (role: RoleName, scopes: string[]): WhoAmIResponse => ({ org_id: 'o', user_id: null, role, scopes, auth_method: 'session' });

describe('canUse (identity.md §2, as the portal mirrors it)', () => {
  it('matches scopes exactly, by resource wildcard or by *', () => {
    expect(scopeCovers('tokens:*', 'tokens:write')).toBe(true);
    expect(scopeCovers('tokens:*', 'teams:read')).toBe(false);
    expect(scopeCovers('*', 'keys:manage')).toBe(true);
  });

  it('lets admins through everything, members by scope, readonly only on read scopes', () => {
    expect(canUse(who('SuperAdmin', []), 'system:write', true)).toBe(true);
    expect(canUse(who('Admin', []), 'keys:manage', true)).toBe(true);
    expect(canUse(who('Member', ['*']), 'keys:manage', true)).toBe(false);
    expect(canUse(who('Member', ['tokens:read']), 'tokens:write')).toBe(false);
    expect(canUse(who('Member', ['tokens:*']), 'tokens:write')).toBe(true);
    expect(canUse(who('ReadOnly', ['*']), 'tokens:read')).toBe(true);
    expect(canUse(who('ReadOnly', ['*']), 'tokens:write')).toBe(false);
    expect(canUse(who('ReadOnly', ['*']), 'keys:manage')).toBe(false);
    expect(canUse(null, 'tokens:read')).toBe(false);
  });
});
