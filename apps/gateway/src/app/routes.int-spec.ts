import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { AUTH_REQUIREMENT, loadConfig, type AuthRequirement } from '@ailink/gateway-core';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL } from '@ailink/testing';
import { API_PREFIX, createGateway } from './create-gateway';

interface RouteInfo {
  method: string;
  path: string;
  requirement: AuthRequirement | undefined;
  name: string;
}

const OPERATIONS = new Set(['/healthz', '/readyz', '/metrics']);

/** Every controller route of the running app, with its declared access rule. */
function enumerateRoutes(app: NestFastifyApplication): RouteInfo[] {
  const routes: RouteInfo[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!type) continue;
      const base: string = Reflect.getMetadata(PATH_METADATA, type) ?? '';
      for (const key of Object.getOwnPropertyNames(type.prototype)) {
        // Read the descriptor: touching a getter on the prototype would run it without an instance.
        const handler = Object.getOwnPropertyDescriptor(type.prototype, key)?.value as unknown;
        if (key === 'constructor' || typeof handler !== 'function') continue;
        const sub: string | undefined = Reflect.getMetadata(PATH_METADATA, handler);
        if (sub === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        let path = ('/' + [base, sub].filter((p) => p && p !== '/').join('/')).replace(/\/+/g, '/');
        if (!OPERATIONS.has(path)) path = `/${API_PREFIX}${path === '/' ? '' : path}`;
        const requirement = (Reflect.getMetadata(AUTH_REQUIREMENT, handler) ?? Reflect.getMetadata(AUTH_REQUIREMENT, type)) as
          | AuthRequirement
          | undefined;
        routes.push({ method, path, requirement, name: `${type.name}.${key}` });
      }
    }
  }
  return routes;
}

describe('management routes fail closed', () => {
  let app: NestFastifyApplication;
  let routes: RouteInfo[];

  beforeAll(async () => {
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: `routes${Date.now()}:`,
        AILINK_ADMIN_KEY: 'routes-test-admin-key-0123456789',
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-routes-')),
        AILINK_PORTAL_DIR: mkdtempSync(join(tmpdir(), 'ailink-noportal-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    app = await createGateway(config, pino({ level: 'silent' }));
    routes = enumerateRoutes(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('finds the controllers’ routes', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining(['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /api/v1/auth/whoami', 'GET /api/v1/projects']),
    );
  });

  it('every route declares @Public(), @Authenticated() or @RequireScope()', () => {
    const undeclared = routes.filter((r) => !r.requirement).map((r) => r.name);
    expect(undeclared).toEqual([]);
  });

  it('only the operations routes and the SSO sign-in flow are public', () => {
    // The portal's sign-in must be reachable before there is a session: the enabled providers'
    // names, the redirect to the identity provider, and its callback (identity.md).
    const signIn = ['/api/v1/auth/sso/providers', '/api/v1/auth/sso/:provider_id/login', '/api/v1/auth/sso/callback'];
    const publicRoutes = routes.filter((r) => r.requirement?.kind === 'public').map((r) => r.path);
    expect(publicRoutes.sort()).toEqual([...OPERATIONS, ...signIn].sort());
  });

  it('every non-public route answers 401 without credentials', async () => {
    const fastify = app.getHttpAdapter().getInstance();
    for (const route of routes.filter((r) => r.requirement?.kind !== 'public')) {
      const url = route.path.replace(/:[A-Za-z_]+/g, '00000000-0000-0000-0000-000000000001');
      const response = await fastify.inject({ method: route.method as 'GET', url });
      expect({ route: route.name, status: response.statusCode }).toEqual({ route: route.name, status: 401 });
      expect(response.json()).toMatchObject({ error: { code: 'unauthorized', type: 'authentication_error' } });
    }
  });
});
