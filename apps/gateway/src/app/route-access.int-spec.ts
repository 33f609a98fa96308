import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { MANAGEMENT_SCOPES, type CreateApiKeyResponse } from '@ailink/shared-contracts';
import { loadConfig } from '@ailink/gateway-core';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { API_PREFIX, createGateway } from './create-gateway';
import { managementRouteCatalogue, type CatalogueRoute } from './management-route-catalogue';

const OPERATIONS = new Set(['/healthz', '/readyz', '/metrics']);
const ADMIN_KEY = 'route-access-admin-key-0123456789';
/** Path parameters are filled with an id that names nothing: authorisation happens before any lookup. */
const PLACEHOLDER = '00000000-0000-4000-8000-0000000000aa';

type Injected = { status: number; code: string | undefined };

/**
 * The access rules of every registered management route, enumerated from the running application
 * (identity.md §2): each declares a rule; an API key lacking the route's scope gets 403; a readonly
 * key gets 403 on every write route; admin-only routes refuse members; super-admin routes refuse
 * every API key. Positive controls prove the keys themselves work.
 */
describe('management route access (every registered route)', () => {
  const keyPrefix = `routeaccess${Date.now()}:`;
  let app: NestFastifyApplication;
  let routes: CatalogueRoute[];
  /** Member keys holding every concrete scope except one, by that scope. */
  const lacking = new Map<string, string>();
  /** Member keys holding exactly one scope, by that scope. */
  const holding = new Map<string, string>();
  let readonlyKey: string;
  let memberAllKey: string;
  let adminApiKey: string;

  async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Injected> {
    const fastify = app.getHttpAdapter().getInstance();
    const response = await fastify.inject({
      method: method as 'GET',
      url,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    let code: string | undefined;
    try {
      code = (response.json() as { error?: { code?: string } }).error?.code;
    } catch {
      code = undefined;
    }
    return { status: response.statusCode, code };
  }

  async function mint(body: Record<string, unknown>): Promise<string> {
    const fastify = app.getHttpAdapter().getInstance();
    const response = await fastify.inject({
      method: 'POST',
      url: `/${API_PREFIX}/auth/keys`,
      headers: { 'x-admin-key': ADMIN_KEY, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'route-access', ...body }),
    });
    if (response.statusCode !== 201) throw new Error(`minting failed: ${response.statusCode} ${response.body}`);
    return (response.json() as CreateApiKeyResponse).key;
  }

  const urlOf = (route: CatalogueRoute) => route.path.replace(/:[A-Za-z_]+/g, PLACEHOLDER);
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const scoped = () => routes.filter((r) => r.requirement?.kind === 'scope');
  const isWrite = (r: CatalogueRoute) =>
    r.requirement?.kind === 'superadmin' || (r.requirement?.kind === 'scope' && !r.requirement.scope.endsWith(':read'));
  /** Server-sent event routes never end: authorisation is checked on them, positive controls are not. */
  const streams = (r: CatalogueRoute) => r.path.endsWith('/stream');

  beforeAll(async () => {
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_ADMIN_KEY: ADMIN_KEY,
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-route-access-')),
        AILINK_PORTAL_DIR: mkdtempSync(join(tmpdir(), 'ailink-noportal-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    app = await createGateway(config, pino({ level: 'silent' }));
    routes = managementRouteCatalogue(app, API_PREFIX, OPERATIONS);
    const required = new Set(scoped().map((r) => (r.requirement?.kind === 'scope' ? r.requirement.scope : '')));
    for (const scope of required) {
      lacking.set(scope, await mint({ role: 'member', scopes: MANAGEMENT_SCOPES.filter((s) => s !== scope) }));
      holding.set(scope, await mint({ role: 'member', scopes: [scope] }));
    }
    readonlyKey = await mint({ role: 'readonly', scopes: ['*'] });
    memberAllKey = await mint({ role: 'member', scopes: ['*'] });
    adminApiKey = await mint({ role: 'admin' });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('enumerates the routes of every controller, each registered with Fastify', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /api/v1/auth/whoami',
        'GET /api/v1/auth/keys',
        'POST /api/v1/auth/keys',
        'DELETE /api/v1/auth/keys/:id',
        'POST /api/v1/organizations',
        'GET /api/v1/projects',
        'POST /api/v1/projects/:id/purge',
        'PATCH /api/v1/tokens/:id/circuit-breaker',
        'GET /api/v1/audit/admin',
        'GET /api/v1/audit/admin/:id',
        'GET /api/v1/users',
        'POST /api/v1/users',
        'GET /api/v1/teams',
        'POST /api/v1/teams/:id/members',
        'DELETE /api/v1/teams/:id/members/:user_id',
        'GET /api/v1/teams/:id/spend',
        'PUT /api/v1/model-access-groups/:id',
        'POST /api/v1/oidc/providers/test',
        'PATCH /api/v1/oidc/providers/:id',
        'GET /api/v1/auth/sso/providers',
        'GET /api/v1/auth/sso/:provider_id/login',
        'GET /api/v1/auth/sso/callback',
        'GET /api/v1/auth/session',
        'POST /api/v1/auth/logout',
        'GET /api/v1/approvals',
        'GET /api/v1/approvals/stream',
        'GET /api/v1/approvals/:id',
        'POST /api/v1/approvals/:id/decision',
        'POST /api/v1/approvals/:id/decide',
      ]),
    );
    const fastify = app.getHttpAdapter().getInstance();
    const unregistered = routes.filter((r) => !fastify.hasRoute({ method: r.method as 'GET', url: r.path })).map((r) => r.name);
    expect(unregistered).toEqual([]);
  });

  it('fails any route that lacks an auth declaration, or declares an unknown scope', () => {
    const undeclared = routes.filter((r) => r.declarations === 0 || !r.requirement).map((r) => `${r.method} ${r.path} (${r.name})`);
    expect(undeclared).toEqual([]);
    const kinds = new Set(['public', 'authenticated', 'scope', 'superadmin']);
    expect(routes.filter((r) => !kinds.has(r.requirement?.kind ?? '')).map((r) => r.name)).toEqual([]);
    const unknownScopes = scoped().filter(
      (r) => r.requirement?.kind === 'scope' && !(MANAGEMENT_SCOPES as readonly string[]).includes(r.requirement.scope),
    );
    expect(unknownScopes.map((r) => r.name)).toEqual([]);
  });

  it('answers 403 forbidden to an API key lacking the route’s scope, on every scoped route', async () => {
    const failures: string[] = [];
    for (const route of scoped()) {
      if (route.requirement?.kind !== 'scope') continue;
      const key = lacking.get(route.requirement.scope) as string;
      const result = await call(route.method, urlOf(route), as(key));
      if (result.status !== 403 || result.code !== 'forbidden')
        failures.push(`${route.method} ${route.path}: ${result.status} ${result.code}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to a readonly key (scopes ["*"]) on every write route', async () => {
    const writes = routes.filter(isWrite);
    expect(writes.length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const route of writes) {
      const result = await call(route.method, urlOf(route), as(readonlyKey));
      if (result.status !== 403) failures.push(`${route.method} ${route.path}: ${result.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('refuses members (even with "*") on admin-only routes, and every API key on super-admin routes', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const adminOnly = route.requirement?.kind === 'scope' && route.requirement.adminOnly;
      const superOnly = route.requirement?.kind === 'superadmin';
      if (!adminOnly && !superOnly) continue;
      const keys = superOnly ? [memberAllKey, adminApiKey, readonlyKey] : [memberAllKey, readonlyKey];
      for (const key of keys) {
        const result = await call(route.method, urlOf(route), as(key));
        if (result.status !== 403) failures.push(`${route.method} ${route.path}: ${result.status}`);
      }
    }
    expect(routes.some((r) => r.requirement?.kind === 'superadmin')).toBe(true);
    expect(failures).toEqual([]);
  });

  it('lets a key through when it holds the route’s scope (positive control)', async () => {
    const failures: string[] = [];
    for (const route of scoped()) {
      if (route.requirement?.kind !== 'scope' || streams(route)) continue;
      const key = route.requirement.adminOnly ? adminApiKey : (holding.get(route.requirement.scope) as string);
      const result = await call(route.method, urlOf(route), as(key));
      if (result.status === 401 || result.status === 403) failures.push(`${route.method} ${route.path}: ${result.status} ${result.code}`);
      if (!route.requirement.adminOnly && route.requirement.scope.endsWith(':read')) {
        const readonly = await call(route.method, urlOf(route), as(readonlyKey));
        if (readonly.status === 401 || readonly.status === 403) failures.push(`readonly ${route.method} ${route.path}: ${readonly.status}`);
      }
    }
    for (const route of routes.filter((r) => r.requirement?.kind === 'superadmin' && r.method === 'GET')) {
      const result = await call(route.method, urlOf(route), { 'x-admin-key': ADMIN_KEY });
      if (result.status !== 200) failures.push(`admin key ${route.method} ${route.path}: ${result.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers whoami for every kind of caller', async () => {
    const fastify = app.getHttpAdapter().getInstance();
    const who = async (headers: Record<string, string>) =>
      (await fastify.inject({ method: 'GET', url: `/${API_PREFIX}/auth/whoami`, headers })).json() as Record<string, unknown>;
    expect(await who({ 'x-admin-key': ADMIN_KEY })).toEqual({
      org_id: '00000000-0000-0000-0000-000000000001',
      user_id: null,
      role: 'SuperAdmin',
      scopes: ['*'],
      auth_method: 'admin_key',
    });
    expect(await who(as(readonlyKey))).toEqual({
      org_id: '00000000-0000-0000-0000-000000000001',
      user_id: null,
      role: 'ReadOnly',
      scopes: ['*'],
      auth_method: 'api_key',
      key_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect((await who(as(adminApiKey))).role).toBe('Admin');
    expect((await who(as(memberAllKey))).role).toBe('Member');
    const invalid = await fastify.inject({
      method: 'GET',
      url: `/${API_PREFIX}/auth/whoami`,
      headers: as(`ak_live_00000000_${'f'.repeat(32)}`),
    });
    expect(invalid.statusCode).toBe(401);
    expect(invalid.json()).toMatchObject({ error: { code: 'unauthorized', type: 'authentication_error' } });
  });
});
