import type { Principal } from '@ailink/gateway-core';
import { mayAssign, normaliseRole } from './users.service';

const as = (role: Principal['role']): Principal => ({ orgId: 'o', userId: null, role, scopes: ['*'], authMethod: 'api_key' });

describe('user roles (identity.md §4–§5)', () => {
  it('normalises role names: superadmin → admin, viewer → readonly, case-insensitive, unknown → null', () => {
    expect(normaliseRole('SuperAdmin')).toBe('admin');
    expect(normaliseRole(' viewer ')).toBe('readonly');
    expect(normaliseRole('Member')).toBe('member');
    expect(normaliseRole('owner')).toBeNull();
    expect(normaliseRole(undefined)).toBeNull();
  });

  it('never lets a caller hand out a role above its own', () => {
    expect(mayAssign(as('member'), 'admin')).toBe(false);
    expect(mayAssign(as('member'), 'member')).toBe(true);
    expect(mayAssign(as('admin'), 'admin')).toBe(true);
    expect(mayAssign(as('superadmin'), 'admin')).toBe(true);
    expect(mayAssign(as('readonly'), 'member')).toBe(false);
  });
});
