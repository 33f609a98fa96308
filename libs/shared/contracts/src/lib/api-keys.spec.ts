import { MANAGEMENT_SCOPES } from './identity';
import { READ_SCOPES, SCOPE_RESOURCES, defaultApiKeyScopes, expandScopeGrant, isValidScopeGrant } from './api-keys';

describe('API key scope helpers', () => {
  it('derives the resources of the scope table', () => {
    expect(SCOPE_RESOURCES).toEqual(expect.arrayContaining(['tokens', 'keys', 'pii', 'sessions', 'billing', 'system']));
    expect(SCOPE_RESOURCES).toHaveLength(new Set(MANAGEMENT_SCOPES.map((s) => s.split(':')[0])).size);
  });

  it('validates grants', () => {
    expect(isValidScopeGrant('*')).toBe(true);
    expect(isValidScopeGrant('tokens:*')).toBe(true);
    expect(isValidScopeGrant('tokens:read')).toBe(true);
    expect(isValidScopeGrant('foo:*')).toBe(false);
    expect(isValidScopeGrant('tokens:admin')).toBe(false);
  });

  it('expands grants as identity.md §2 matches them', () => {
    expect(expandScopeGrant('tokens:*')).toEqual(['tokens:read', 'tokens:write']);
    expect(expandScopeGrant('tokens:*', 'readonly')).toEqual(['tokens:read']);
    expect(expandScopeGrant('*')).toEqual([...MANAGEMENT_SCOPES]);
    expect(expandScopeGrant('*', 'readonly')).toEqual([...READ_SCOPES]);
    expect(expandScopeGrant('audit:read')).toEqual(['audit:read']);
    expect(expandScopeGrant('nope')).toEqual([]);
  });

  it('defaults by role', () => {
    expect(defaultApiKeyScopes('admin')).toEqual(['*']);
    expect(defaultApiKeyScopes('member')).toEqual([]);
    expect(defaultApiKeyScopes('readonly')).toEqual(READ_SCOPES);
    expect(READ_SCOPES.every((s) => s.endsWith(':read'))).toBe(true);
  });
});
