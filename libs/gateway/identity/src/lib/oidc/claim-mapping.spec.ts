import { claimValue, mapClaims } from './claim-mapping';

describe('claim mapping (identity.md §4)', () => {
  const TEAM_ENG = '11111111-1111-4111-8111-111111111111';
  const TEAM_OPS = '22222222-2222-4222-8222-222222222222';

  it('maps a groups claim through role_values, the highest role winning', () => {
    const mapping = { role: 'groups', role_values: { admin: 'admin', engineering: 'member' } };
    expect(mapClaims({ groups: ['engineering', 'admin'] }, mapping, []).claimRole).toBe('admin');
    expect(mapClaims({ groups: ['engineering'] }, mapping, []).claimRole).toBe('member');
    expect(mapClaims({ groups: ['sales'] }, mapping, []).claimRole).toBeNull();
    expect(mapClaims({}, mapping, []).claimRole).toBeNull();
  });

  it('reads role names directly without role_values: superadmin is admin, viewer is readonly, unknown values count for nothing', () => {
    const mapping = { role: 'ailink_role' };
    expect(mapClaims({ ailink_role: 'superadmin' }, mapping, []).claimRole).toBe('admin');
    expect(mapClaims({ ailink_role: 'Viewer' }, mapping, []).claimRole).toBe('readonly');
    expect(mapClaims({ ailink_role: 'owner' }, mapping, []).claimRole).toBeNull();
    expect(mapClaims({ ailink_role: ['readonly', 'member'] }, mapping, []).claimRole).toBe('member');
  });

  it('only counts mapped values when role_values is set (a group literally named "admin" is not enough)', () => {
    expect(mapClaims({ groups: ['admin'] }, { role: 'groups', role_values: { 'ailink-admins': 'admin' } }, []).claimRole).toBeNull();
  });

  it('takes scopes from an array or a space/comma string, keeps known names only, else the defaults', () => {
    expect(mapClaims({ scp: 'tokens:read audit:read,bogus:x' }, { scopes: 'scp' }, ['*']).scopes).toEqual(['tokens:read', 'audit:read']);
    expect(mapClaims({ scp: ['tokens:*', '*'] }, { scopes: 'scp' }, []).scopes).toEqual(['tokens:*', '*']);
    expect(mapClaims({}, { scopes: 'scp' }, ['tokens:read']).scopes).toEqual(['tokens:read']);
    expect(mapClaims({ scp: 'tokens:read' }, {}, ['audit:read']).scopes).toEqual(['audit:read']);
  });

  it('maps groups to team ids only when a mapping exists and the groups claim is present', () => {
    const mapping = { group_teams: { engineering: TEAM_ENG, ops: TEAM_OPS } };
    expect(mapClaims({ groups: ['engineering', 'sales'] }, mapping, []).teamIds).toEqual([TEAM_ENG]);
    expect(mapClaims({ groups: [] }, mapping, []).teamIds).toEqual([]);
    expect(mapClaims({}, mapping, []).teamIds).toBeNull();
    expect(mapClaims({ groups: ['engineering'] }, {}, []).teamIds).toBeNull();
    expect(mapClaims({ teams: 'ops' }, { ...mapping, groups: 'teams' }, []).teamIds).toEqual([TEAM_OPS]);
  });

  it('reads profile claims, verified email and dotted paths', () => {
    const mapped = mapClaims({ email: ' ada@example.com ', email_verified: true, name: 'Ada' }, {}, []);
    expect(mapped).toMatchObject({ email: 'ada@example.com', emailVerified: true, name: 'Ada' });
    expect(mapClaims({ mail: 'x@y.z' }, { email: 'mail' }, []).emailVerified).toBe(false);
    expect(claimValue({ realm_access: { roles: ['admin'] } }, 'realm_access.roles')).toEqual(['admin']);
    expect(mapClaims({ realm_access: { roles: ['admin'] } }, { role: 'realm_access.roles' }, []).claimRole).toBe('admin');
  });
});
