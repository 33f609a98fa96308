import { AppConfig, GatewayError } from '@ailink/gateway-core';
import { ProxyContext } from '@ailink/gateway-proxy';
import { CacheInvalidationBus, MemoryKeyValueStore, TieredCacheFactory } from '@ailink/gateway-redis';
import type { ServiceEntity } from './entities/service.entity';
import { ResolveServiceStage } from './resolve-service.stage';
import { ServiceCache } from './service-cache';
import type { ServicesRepository } from './services.repository';

const PROJECT = '00000000-0000-0000-0000-000000000001';
const OTHER = '00000000-0000-0000-0000-0000000000aa';

function context(route: 'service' | 'catch_all', serviceName?: string): ProxyContext {
  const ctx = new ProxyContext(
    'req_' + '0'.repeat(32),
    'GET',
    '/v1/proxy/services/x/items',
    {},
    '127.0.0.1',
    '/v1/proxy/services/x/items?a=1',
  );
  ctx.route = route;
  ctx.serviceName = serviceName;
  ctx.upstreamPath = '/items';
  ctx.token = {
    id: 'tok_' + '0'.repeat(24),
    projectId: PROJECT,
    name: 't',
    credentialId: 'token-credential',
    upstreams: [],
    policyIds: [],
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  return ctx;
}

describe('ResolveServiceStage', () => {
  const rows: Partial<ServiceEntity>[] = [];
  let loads = 0;
  let stage: ResolveServiceStage;

  beforeEach(() => {
    rows.length = 0;
    loads = 0;
    const store = new MemoryKeyValueStore();
    const repository = {
      findActiveByName: async (projectId: string, name: string) => {
        loads++;
        return (rows.find((r) => r.projectId === projectId && r.name === name && r.isActive) ?? null) as ServiceEntity | null;
      },
    } as unknown as ServicesRepository;
    const cache = new ServiceCache(
      new TieredCacheFactory(store, new CacheInvalidationBus(store)),
      { l1MaxEntries: 10, l1TtlMs: 5000, l2TtlSecs: 60 } as AppConfig,
      repository,
    );
    stage = new ResolveServiceStage(cache);
  });

  it('is named resolve-service and does nothing on other routes', async () => {
    expect(stage.name).toBe('resolve-service');
    const ctx = context('catch_all');
    await stage.run(ctx);
    expect(ctx.targetBaseUrl).toBeUndefined();
    expect(loads).toBe(0);
  });

  it("sets the service's base URL (no trailing slash) and credential (null = passthrough)", async () => {
    rows.push({ id: 's1', projectId: PROJECT, name: 'crm', baseUrl: 'https://crm.example.com/api/', credentialId: null, isActive: true });
    rows.push({
      id: 's2',
      projectId: PROJECT,
      name: 'billing',
      baseUrl: 'https://billing.example.com',
      credentialId: 'cred-1',
      isActive: true,
    });
    const crm = context('service', 'crm');
    await stage.run(crm);
    expect(crm.targetBaseUrl).toBe('https://crm.example.com/api');
    expect(crm.credentialId).toBeNull();
    expect(crm.upstreamPath).toBe('/items');
    expect([crm.serviceBaseUrl, crm.serviceCredentialId]).toEqual(['https://crm.example.com/api', null]);
    const billing = context('service', 'billing');
    await stage.run(billing);
    expect(billing.credentialId).toBe('cred-1');
  });

  it('answers 502 upstream_failed "Unknown service \'<name>\'" for unknown, inactive, other-project or malformed names', async () => {
    rows.push({ id: 's1', projectId: PROJECT, name: 'off', baseUrl: 'https://x', credentialId: null, isActive: false });
    rows.push({ id: 's2', projectId: OTHER, name: 'theirs', baseUrl: 'https://x', credentialId: null, isActive: true });
    for (const name of ['nope', 'off', 'theirs', '../etc', '']) {
      const error = await Promise.resolve(stage.run(context('service', name))).then(
        () => undefined,
        (e: unknown) => e as GatewayError,
      );
      expect(error).toBeInstanceOf(GatewayError);
      expect(error?.code).toBe('upstream_failed');
      expect(error?.message).toBe(`Unknown service '${name}'`);
    }
    // unknown names are negatively cached
    await stage.run(context('service', 'nope')).catch(() => undefined);
    expect(loads).toBe(3);
  });
});
