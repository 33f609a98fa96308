import { ErrorCode, GatewayError, type AuthRequirement, type Principal } from '@ailink/gateway-core';
import { authorize } from './management-auth.guard';

const principal = (role: Principal['role'], scopes: string[] = []): Principal => ({
  orgId: 'o',
  userId: null,
  role,
  scopes,
  authMethod: role === 'superadmin' ? 'admin_key' : 'api_key',
});

function outcome(p: Principal, requirement: AuthRequirement | undefined): string {
  try {
    authorize(p, requirement);
    return 'allowed';
  } catch (error) {
    if (error instanceof GatewayError) return error.code;
    throw error;
  }
}

describe('authorize (identity.md §2)', () => {
  const superadminOnly: AuthRequirement = { kind: 'superadmin' };
  const tokensWrite: AuthRequirement = { kind: 'scope', scope: 'tokens:write', adminOnly: false };
  const tokensRead: AuthRequirement = { kind: 'scope', scope: 'tokens:read', adminOnly: false };
  const systemWriteR: AuthRequirement = { kind: 'scope', scope: 'system:write', adminOnly: true };

  it('closes routes that declare nothing, for everyone', () => {
    expect(outcome(principal('superadmin', ['*']), undefined)).toBe(ErrorCode.Forbidden);
  });

  it('lets any authenticated caller through @Authenticated()', () => {
    expect(outcome(principal('readonly'), { kind: 'authenticated' })).toBe('allowed');
  });

  it('keeps super-admin routes to the admin key, whatever the role or scopes of an API key', () => {
    expect(outcome(principal('superadmin', ['*']), superadminOnly)).toBe('allowed');
    expect(outcome(principal('admin', ['*']), superadminOnly)).toBe(ErrorCode.Forbidden);
    expect(outcome(principal('member', ['*']), superadminOnly)).toBe(ErrorCode.Forbidden);
  });

  it('applies the role rules to scoped routes', () => {
    expect(outcome(principal('admin'), tokensWrite)).toBe('allowed');
    expect(outcome(principal('admin'), systemWriteR)).toBe('allowed');
    expect(outcome(principal('member', ['tokens:write']), tokensWrite)).toBe('allowed');
    expect(outcome(principal('member', ['tokens:read']), tokensWrite)).toBe(ErrorCode.Forbidden);
    expect(outcome(principal('member', ['*']), systemWriteR)).toBe(ErrorCode.Forbidden);
    expect(outcome(principal('readonly', ['*']), tokensRead)).toBe('allowed');
    expect(outcome(principal('readonly', ['*']), tokensWrite)).toBe(ErrorCode.Forbidden);
    expect(outcome(principal('readonly', ['tokens:write']), tokensWrite)).toBe(ErrorCode.Forbidden);
  });
});
