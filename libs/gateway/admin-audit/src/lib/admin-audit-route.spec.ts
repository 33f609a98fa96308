import { deriveResourceKind, isRecordedMethod, managementRoute, routeParams, singular } from './admin-audit-route';

describe('admin audit routes', () => {
  it('records only writes', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE'].every(isRecordedMethod)).toBe(true);
    expect(['GET', 'HEAD', 'OPTIONS', 'post'].some(isRecordedMethod)).toBe(false);
  });

  it('takes only Management API routes, relative to /api/v1', () => {
    expect(managementRoute('/api/v1/tokens/:id')).toBe('/tokens/:id');
    expect(managementRoute('/api/v1/tokens/')).toBe('/tokens');
    expect(managementRoute('/api/v1')).toBe('/');
    expect(managementRoute('/v1/chat/completions')).toBeNull();
    expect(managementRoute('/api/v10/x')).toBeNull();
    expect(managementRoute(undefined)).toBeNull();
  });

  it('lists path parameters in order', () => {
    expect(routeParams('/teams/:id/members/:user_id')).toEqual(['id', 'user_id']);
    expect(routeParams('/tokens')).toEqual([]);
  });

  it('makes words singular', () => {
    expect(['policies', 'model-aliases', 'keys', 'services', 'teams', 'deliveries', 'status', 'pii', 'analytics'].map(singular)).toEqual([
      'policy',
      'model-alias',
      'key',
      'service',
      'team',
      'delivery',
      'status',
      'pii',
      'analytic',
    ]);
  });

  it('derives a resource kind from the literal segments', () => {
    expect(deriveResourceKind('/teams/:id/members/:user_id')).toBe('team.member');
    expect(deriveResourceKind('/tokens/:id/spend/:period')).toBe('token.spend');
    expect(deriveResourceKind('/system/flush-cache')).toBe('system.flush-cache');
    expect(deriveResourceKind('/pii/rehydrate')).toBe('pii.rehydrate');
    expect(deriveResourceKind('/model-aliases/:alias')).toBe('model-alias');
    expect(deriveResourceKind('/')).toBe('api');
  });
});
