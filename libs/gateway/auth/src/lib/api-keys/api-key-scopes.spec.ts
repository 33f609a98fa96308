import { READ_SCOPES } from '@ailink/shared-contracts';
import type { Principal } from '@ailink/gateway-core';
import { escalationReason, grantedScopes, scopeProblems } from './api-key-scopes';

const caller = (role: Principal['role'], scopes: string[]): Principal => ({
  orgId: 'o',
  userId: null,
  role,
  scopes,
  authMethod: 'api_key',
});

describe('API key scopes (identity.md §3)', () => {
  describe('grantedScopes', () => {
    it('defaults by role when scopes are omitted', () => {
      expect(grantedScopes('admin', undefined)).toEqual(['*']);
      expect(grantedScopes('member', undefined)).toEqual([]);
      expect(grantedScopes('readonly', null)).toEqual([...READ_SCOPES]);
      expect(grantedScopes('readonly', undefined).every((s) => s.endsWith(':read'))).toBe(true);
      expect(grantedScopes('readonly', undefined)).toContain('audit:read');
    });

    it('keeps given scopes, trimmed and deduplicated, and an explicit empty list', () => {
      expect(grantedScopes('member', [' tokens:read', 'tokens:read', 'audit:read'])).toEqual(['tokens:read', 'audit:read']);
      expect(grantedScopes('admin', [])).toEqual([]);
    });
  });

  describe('scopeProblems', () => {
    it('accepts table scopes and wildcards', () => {
      expect(scopeProblems('member', ['tokens:read', 'keys:manage', 'pii:rehydrate', 'tokens:*', 'billing:*', '*'])).toEqual([]);
    });

    it('refuses unknown names with their JSON path', () => {
      expect(scopeProblems('member', ['tokens:read', 'tokens:delete', 'token:*', 'everything', '*:*', ''])).toEqual([
        { path: '$.scopes[1]', message: 'unknown scope "tokens:delete"' },
        { path: '$.scopes[2]', message: 'unknown scope "token:*"' },
        { path: '$.scopes[3]', message: 'unknown scope "everything"' },
        { path: '$.scopes[4]', message: 'unknown scope "*:*"' },
        { path: '$.scopes[5]', message: 'unknown scope ""' },
      ]);
    });

    it('refuses explicit write scopes on a readonly key but allows wildcards', () => {
      expect(scopeProblems('readonly', ['tokens:read', 'tokens:write', 'keys:manage', 'sessions:write', 'tokens:*', '*'])).toEqual([
        { path: '$.scopes[1]', message: 'a readonly key cannot hold the write scope "tokens:write"' },
        { path: '$.scopes[2]', message: 'a readonly key cannot hold the write scope "keys:manage"' },
        { path: '$.scopes[3]', message: 'a readonly key cannot hold the write scope "sessions:write"' },
      ]);
    });
  });

  describe('escalationReason', () => {
    it('lets admins and the super-admin mint anything', () => {
      expect(escalationReason(caller('superadmin', ['*']), 'admin', ['*'])).toBeNull();
      expect(escalationReason(caller('admin', []), 'admin', ['*'])).toBeNull();
      expect(escalationReason(caller('admin', []), 'member', ['pii:rehydrate'])).toBeNull();
    });

    it('refuses an admin key to anyone below admin', () => {
      expect(escalationReason(caller('member', ['*']), 'admin', [])).toMatch(/admin key/);
    });

    it('refuses scopes the member caller does not hold, naming them', () => {
      const member = caller('member', ['keys:manage', 'tokens:read']);
      expect(escalationReason(member, 'member', ['tokens:read'])).toBeNull();
      expect(escalationReason(member, 'member', ['tokens:write'])).toBe('You cannot grant scopes you do not hold: tokens:write');
      expect(escalationReason(member, 'member', ['tokens:*'])).toBe('You cannot grant scopes you do not hold: tokens:write');
      expect(escalationReason(member, 'readonly', ['tokens:*'])).toBeNull();
      expect(escalationReason(member, 'member', [])).toBeNull();
    });

    it('compares wildcards scope by scope', () => {
      expect(escalationReason(caller('member', ['tokens:*', 'keys:manage']), 'member', ['tokens:read', 'tokens:write'])).toBeNull();
      expect(escalationReason(caller('member', ['tokens:read', 'tokens:write']), 'member', ['tokens:*'])).toBeNull();
      expect(escalationReason(caller('member', ['*']), 'member', ['*'])).toBeNull();
      const reason = escalationReason(caller('member', ['keys:manage']), 'readonly', READ_SCOPES);
      expect(reason).toContain('tokens:read');
      expect(reason).not.toContain('keys:manage');
    });
  });
});
