import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { DEFAULT_ORG_ID, DEFAULT_PROJECT_ID } from '@ailink/shared-contracts';
import { loadConfig } from '@ailink/gateway-core';
import {
  MockUpstream,
  TEST_DATABASE_URL,
  TEST_MASTER_KEY,
  TEST_REDIS_URL,
  completeIdpLogin,
  deleteRedisPrefix,
  signRs256,
  startTestIdp,
  type TestIdp,
} from '@ailink/testing';
import { API_PREFIX, createGateway } from './create-gateway';

type Json = any;

const ADMIN_KEY = 'identity-int-admin-key-0123456789';
const PUBLIC_URL = 'http://gateway.identity.test';
const CALLBACK = `${PUBLIC_URL}/api/v1/auth/sso/callback`;
const CLIENT_ID = 'ailink-portal';
const CLIENT_SECRET = 'idp-client-secret-do-not-leak';

interface Answer {
  status: number;
  json: Json;
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

/**
 * Users, teams, model access groups and OIDC through the whole gateway (identity.md §4–§7), with
 * node-oidc-provider as the identity provider: portal SSO (authorization code + PKCE, session cookie,
 * CSRF, logout), bearer JWTs on the Management API (claim → role, group → team, expired / forged /
 * wrong-audience / unknown-issuer → 401) and the proxy's model access check.
 */
describe('identity: users, teams, model access, OIDC (whole gateway, real IdP)', () => {
  const keyPrefix = `identity${Date.now()}:`;
  const upstream = new MockUpstream();
  let idp: TestIdp;
  let app: NestFastifyApplication;
  let ds: DataSource;
  let provider: Json;
  let engineering: Json;
  let platform: Json;

  async function call(method: string, url: string, headers: Record<string, string> = {}, body?: unknown): Promise<Answer> {
    const response = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: method as 'GET',
        url,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
    let json: Json;
    try {
      json = response.json();
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, json, text: response.body, headers: response.headers };
  }
  const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    call(method, `/${API_PREFIX}${path}`, headers, body);
  const admin = (method: string, path: string, body?: unknown) => api(method, path, { 'x-admin-key': ADMIN_KEY }, body);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  async function mintKey(body: Record<string, unknown>): Promise<string> {
    const minted = await admin('POST', '/auth/keys', { name: 'identity-int', ...body });
    expect(minted.status).toBe(201);
    return minted.json.key;
  }

  /** A JWT as the IdP would issue it for the portal client (signed with the IdP's own key, served by its JWKS). */
  function idpJwt(sub: string, claims: Record<string, unknown> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return idp.signJwt({ iss: idp.issuer, aud: CLIENT_ID, sub, iat: now, exp: now + 300, ...claims });
  }

  /** SSO as `login`: the gateway's login redirect, the IdP's form, then the gateway's callback. */
  async function ssoLogin(login: string, redirect = '/tokens'): Promise<{ cookie: string; location: string; setCookie: string }> {
    const start = await api('GET', `/auth/sso/${provider.id}/login?redirect=${encodeURIComponent(redirect)}`, {});
    expect(start.status).toBe(302);
    const callbackUrl = new URL(await completeIdpLogin(String(start.headers['location']), login));
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(CALLBACK);
    const done = await call('GET', `${callbackUrl.pathname}${callbackUrl.search}`);
    expect(done.status).toBe(302);
    const setCookie = String(done.headers['set-cookie'] ?? '');
    const match = /ailink_session=([^;]+)/.exec(setCookie);
    return { cookie: match ? `ailink_session=${match[1]}` : '', location: String(done.headers['location']), setCookie };
  }

  beforeAll(async () => {
    await upstream.start();
    idp = await startTestIdp({
      clients: [
        { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [CALLBACK] },
        { client_id: 'another-app', client_secret: 'x', redirect_uris: ['http://other.test/cb'] },
      ],
      accounts: {
        alice: { email: 'alice@example.com', email_verified: true, name: 'Alice Admin', groups: ['admin', 'engineering'] },
        bob: { email: 'bob@example.com', email_verified: true, name: 'Bob', groups: ['engineering'] },
        carol: { email: 'carol@example.com', email_verified: true, name: 'Carol', groups: [] },
        dave: { email: 'Dave@Example.com', email_verified: true, name: 'Dave', groups: [] },
      },
    });
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_ADMIN_KEY: ADMIN_KEY,
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_PUBLIC_URL: PUBLIC_URL,
        AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-identity-int-')),
        AILINK_PORTAL_DIR: mkdtempSync(join(tmpdir(), 'ailink-noportal-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    app = await createGateway(config, pino({ level: 'silent' }));
    ds = app.get(DataSource);
    // Earlier runs against the same database: providers of this (per-run) issuer cannot exist, but
    // fixed team names can.
    engineering = (await admin('POST', '/teams', { name: `engineering ${randomUUID()}` })).json;
    platform = (await admin('POST', '/teams', { name: `platform ${randomUUID()}` })).json;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await idp?.stop();
    await upstream.stop();
    await deleteRedisPrefix(keyPrefix);
  });

  describe('teams', () => {
    it('creates (200), lists sorted by name, refuses a missing name (400), a duplicate (409) and a bad budget (422)', async () => {
      const name = `research ${randomUUID()}`;
      const created = await admin('POST', '/teams', {
        name,
        description: 'ML research',
        max_budget_usd: 250.5,
        budget_duration: 'weekly',
        allowed_models: ['gpt-4o*', 'claude-*'],
        tags: { cost_center: 'r-1' },
      });
      expect(created.status).toBe(200);
      expect(created.json).toEqual({
        id: expect.any(String),
        org_id: DEFAULT_ORG_ID,
        name,
        description: 'ML research',
        max_budget_usd: '250.5000',
        budget_duration: 'weekly',
        allowed_models: ['gpt-4o*', 'claude-*'],
        tags: { cost_center: 'r-1' },
        is_active: true,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await admin('POST', '/teams', { description: 'no name' })).status).toBe(400);
      const clash = await admin('POST', '/teams', { name });
      expect({ status: clash.status, code: clash.json.error.code }).toEqual({ status: 409, code: 'conflict' });
      for (const body of [{ max_budget_usd: '-3' }, { max_budget_usd: 1e9 }, { budget_duration: 'hourly' }, { allowed_models: [''] }]) {
        const bad = await admin('POST', '/teams', { name: `x ${randomUUID()}`, ...body });
        expect({ status: bad.status, path: bad.json.error.details.errors[0].path }).toEqual({
          status: 422,
          path: `$.${Object.keys(body)[0]}${'allowed_models' in body ? '[0]' : ''}`,
        });
      }
      expect((await admin('POST', '/teams', { name: `x ${randomUUID()}`, max_budget_usd: true })).status).toBe(400);

      const listed = (await admin('GET', '/teams')).json as Json[];
      const names = listed.map((t) => t.name);
      expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
      expect(names).toContain(name);

      const updated = await admin('PUT', `/teams/${created.json.id}`, { max_budget_usd: null, allowed_models: null, tags: { a: 'b' } });
      expect(updated.status).toBe(200);
      expect(updated.json).toMatchObject({ name, max_budget_usd: null, allowed_models: null, tags: { a: 'b' }, budget_duration: 'weekly' });
      expect((await admin('PUT', `/teams/${randomUUID()}`, { name: 'x' })).status).toBe(404);
      expect((await admin('PUT', '/teams/not-a-uuid', { name: 'x' })).status).toBe(400);
      expect((await admin('DELETE', `/teams/${created.json.id}`)).status).toBe(204);
      expect((await admin('DELETE', `/teams/${created.json.id}`)).status).toBe(404);
    });

    it('manages members: add (default role member), duplicate 409, unknown user 422, unknown team 404, remove 204/404', async () => {
      const team = (await admin('POST', '/teams', { name: `members ${randomUUID()}` })).json;
      const user = (await admin('POST', '/users', { email: `member-${randomUUID()}@example.com`, name: 'Mia', role: 'member' })).json;
      const added = await admin('POST', `/teams/${team.id}/members`, { user_id: user.id });
      expect(added.status).toBe(200);
      expect(added.json).toMatchObject({ team_id: team.id, user_id: user.id, role: 'member', source: 'manual' });
      expect((await admin('POST', `/teams/${team.id}/members`, { user_id: user.id, role: 'admin' })).status).toBe(409);
      const unknown = await admin('POST', `/teams/${team.id}/members`, { user_id: randomUUID() });
      expect({ status: unknown.status, code: unknown.json.error.code }).toEqual({ status: 422, code: 'validation_error' });
      expect((await admin('POST', `/teams/${randomUUID()}/members`, { user_id: user.id })).status).toBe(404);
      expect((await admin('POST', `/teams/${team.id}/members`, { user_id: user.id, role: 'owner' })).status).toBe(422);
      const members = await admin('GET', `/teams/${team.id}/members`);
      expect(members.json).toEqual([
        {
          id: added.json.id,
          team_id: team.id,
          user_id: user.id,
          role: 'member',
          source: 'manual',
          created_at: expect.any(String),
          email: user.email,
          name: 'Mia',
        },
      ]);
      expect((await admin('DELETE', `/teams/${team.id}/members/${user.id}`)).status).toBe(204);
      expect((await admin('DELETE', `/teams/${team.id}/members/${user.id}`)).status).toBe(404);
      expect((await admin('GET', `/teams/${team.id}/members`)).json).toEqual([]);
    });

    it('answers the last 30 spend rows, newest first', async () => {
      const team = (await admin('POST', '/teams', { name: `spend ${randomUUID()}` })).json;
      expect((await admin('GET', `/teams/${team.id}/spend`)).json).toEqual([]);
      await ds.query(
        `INSERT INTO team_spend (team_id, period, total_requests, total_tokens_used, total_spend_usd)
         SELECT $1, DATE '2025-01-01' + i, i, i * 10, i * 0.5 FROM generate_series(0, 34) AS i`,
        [team.id],
      );
      const spend = (await admin('GET', `/teams/${team.id}/spend`)).json as Json[];
      expect(spend).toHaveLength(30);
      expect(spend[0]).toEqual({
        team_id: team.id,
        period: '2025-02-04',
        total_requests: 34,
        total_tokens_used: 340,
        total_spend_usd: '17.0000',
        updated_at: expect.any(String),
      });
      expect(spend[29].period).toBe('2025-01-06');
    });

    it('limits a key acting for a team to that team', async () => {
      const own = (await admin('POST', '/teams', { name: `scoped ${randomUUID()}` })).json;
      const key = await mintKey({ role: 'member', scopes: ['tokens:*'], team_id: own.id });
      expect(((await api('GET', '/teams', bearer(key))).json as Json[]).map((t) => t.id)).toEqual([own.id]);
      expect((await api('GET', `/teams/${engineering.id}/members`, bearer(key))).status).toBe(404);
      expect((await api('POST', '/teams', bearer(key), { name: `nope ${randomUUID()}` })).status).toBe(403);
    });
  });

  describe('model access groups', () => {
    it('creates (200), validates (400/409/422), lists sorted, updates partially and deletes', async () => {
      const name = `chat-${randomUUID()}`;
      const created = await admin('POST', '/model-access-groups', { name, description: 'chat models', models: ['gpt-4o*', '*mini*'] });
      expect(created.status).toBe(200);
      expect(created.json).toEqual({
        id: expect.any(String),
        project_id: DEFAULT_PROJECT_ID,
        name,
        description: 'chat models',
        models: ['gpt-4o*', '*mini*'],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expect((await admin('POST', '/model-access-groups', { models: ['x'] })).status).toBe(400);
      expect((await admin('POST', '/model-access-groups', { name: 'x', models: 'gpt-4o' })).status).toBe(400);
      expect((await admin('POST', '/model-access-groups', { name: 'x', models: [1, 2] })).status).toBe(400);
      expect((await admin('POST', '/model-access-groups', { name: 'x', models: [''] })).status).toBe(422);
      expect((await admin('POST', '/model-access-groups', { name, models: [] })).status).toBe(409);
      const names = ((await admin('GET', '/model-access-groups')).json as Json[]).map((g) => g.name);
      expect(names).toEqual([...names].sort());
      const updated = await admin('PUT', `/model-access-groups/${created.json.id}`, { models: ['claude-*'] });
      expect(updated.json).toMatchObject({ name, description: 'chat models', models: ['claude-*'] });
      expect((await admin('PUT', `/model-access-groups/${randomUUID()}`, { models: [] })).status).toBe(404);
      expect((await admin('DELETE', `/model-access-groups/${created.json.id}`)).status).toBe(204);
      expect((await admin('DELETE', `/model-access-groups/${created.json.id}`)).status).toBe(404);
    });
  });

  describe('users', () => {
    it('creates ahead of sign-in (201), refuses a duplicate email in any case (409) and role escalation (403)', async () => {
      const email = `ada-${randomUUID()}@example.com`;
      const created = await admin('POST', '/users', { email, name: 'Ada', role: 'viewer' });
      expect(created.status).toBe(201);
      expect(created.json).toEqual({
        id: expect.any(String),
        org_id: DEFAULT_ORG_ID,
        email,
        name: 'Ada',
        oidc_provider_id: null,
        oidc_subject: null,
        role: 'readonly',
        created_at: expect.any(String),
        last_login_at: null,
      });
      expect((await admin('POST', '/users', { email: email.toUpperCase(), role: 'member' })).status).toBe(409);
      expect((await admin('POST', '/users', { email: 'not-an-email', role: 'member' })).status).toBe(422);
      expect((await admin('POST', '/users', { email: 'x@example.com' })).status).toBe(400);
      const manager = await mintKey({ role: 'member', scopes: ['keys:manage'] });
      const escalation = await api('POST', '/users', bearer(manager), { email: `boss-${randomUUID()}@example.com`, role: 'admin' });
      expect({ status: escalation.status, code: escalation.json.error.code }).toEqual({ status: 403, code: 'role_escalation' });
      expect((await api('POST', '/users', bearer(manager), { email: `peer-${randomUUID()}@example.com`, role: 'member' })).status).toBe(
        201,
      );
      const page = await admin('GET', '/users?limit=1&offset=0');
      expect(page.status).toBe(200);
      expect(page.json).toHaveLength(1);
    });
  });

  describe('OIDC providers', () => {
    it('creates a provider after fetching discovery; the client secret is sealed and never returned', async () => {
      const created = await admin('POST', '/oidc/providers', {
        name: 'Local IdP',
        issuer_url: idp.issuer,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        scopes: 'openid email profile groups',
        claim_mapping: {
          role: 'groups',
          role_values: { admin: 'admin' },
          group_teams: { engineering: engineering.id, platform: platform.id },
        },
        default_role: 'viewer',
        default_scopes: ['*'],
      });
      expect(created.status).toBe(201);
      provider = created.json;
      expect(provider).toEqual({
        id: expect.any(String),
        org_id: DEFAULT_ORG_ID,
        name: 'Local IdP',
        issuer_url: idp.issuer,
        client_id: CLIENT_ID,
        has_client_secret: true,
        jwks_uri: null,
        audience: null,
        scopes: 'openid email profile groups',
        claim_mapping: {
          role: 'groups',
          role_values: { admin: 'admin' },
          group_teams: { engineering: engineering.id, platform: platform.id },
        },
        default_role: 'readonly',
        default_scopes: ['*'],
        enabled: true,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const [row] = await ds.query(`SELECT client_secret_enc FROM oidc_providers WHERE id = $1`, [provider.id]);
      expect(Buffer.isBuffer(row.client_secret_enc)).toBe(true);
      expect(row.client_secret_enc.includes(Buffer.from(CLIENT_SECRET))).toBe(false);
      for (const path of ['/oidc/providers', `/oidc/providers/${provider.id}`]) {
        expect((await admin('GET', path)).text).not.toContain(CLIENT_SECRET);
      }
      const clash = await admin('POST', '/oidc/providers', { name: 'again', issuer_url: idp.issuer, client_id: 'x' });
      expect(clash.status).toBe(409);
    });

    it('refuses an unreachable discovery, unknown teams and scopes (422) and bad URLs (400)', async () => {
      const unreachable = await admin('POST', '/oidc/providers', { name: 'down', issuer_url: 'http://127.0.0.1:9', client_id: 'x' });
      expect(unreachable.status).toBe(422);
      expect(unreachable.json.error.details.errors[0].path).toBe('$.issuer_url');
      const mapping = await admin('POST', '/oidc/providers', {
        name: 'bad',
        issuer_url: 'https://idp.bad.example',
        jwks_uri: 'https://idp.bad.example/jwks',
        client_id: 'x',
        claim_mapping: { group_teams: { g: randomUUID() }, role_values: { g: 'owner' } },
        default_scopes: ['tokens:delete'],
        scopes: 'email',
      });
      expect(mapping.status).toBe(422);
      expect(mapping.json.error.details.errors.map((e: Json) => e.path).sort()).toEqual([
        '$.claim_mapping.group_teams.g',
        '$.claim_mapping.role_values.g',
        '$.default_scopes[0]',
        '$.scopes',
      ]);
      expect((await admin('POST', '/oidc/providers', { name: 'x', issuer_url: 'ftp://idp', client_id: 'x' })).status).toBe(400);
    });

    it('tests a connection without storing anything', async () => {
      const ok = await admin('POST', '/oidc/providers/test', { issuer_url: idp.issuer });
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual({
        ok: true,
        issuer: idp.issuer,
        jwks_uri: `${idp.issuer}/jwks`,
        authorization_endpoint: `${idp.issuer}/auth`,
      });
      const down = await admin('POST', '/oidc/providers/test', { issuer_url: 'http://127.0.0.1:9' });
      expect(down.status).toBe(200);
      expect(down.json.ok).toBe(false);
      expect(down.json.error).toContain('unreachable');
      const metadata = await admin('POST', '/oidc/providers/test', { issuer_url: 'http://169.254.169.254' });
      expect(metadata.json).toMatchObject({ ok: false });
      expect(metadata.json.error).toMatch(/metadata|SSRF/);
    });

    it('is admin-only: a member with keys:manage is refused, an admin API key allowed', async () => {
      const member = await mintKey({ role: 'member', scopes: ['*'] });
      expect((await api('GET', '/oidc/providers', bearer(member))).status).toBe(403);
      const adminKey = await mintKey({ role: 'admin' });
      expect((await api('GET', `/oidc/providers/${provider.id}`, bearer(adminKey))).status).toBe(200);
    });

    it('updates partially with PATCH and PUT; client_secret null removes the secret', async () => {
      const other = await admin('POST', '/oidc/providers', {
        name: 'Other',
        issuer_url: 'https://other.idp.example',
        jwks_uri: 'https://other.idp.example/keys',
        client_id: 'c',
        client_secret: 's3cret',
      });
      expect(other.status).toBe(201);
      const patched = await admin('PATCH', `/oidc/providers/${other.json.id}`, { name: 'Renamed', client_secret: null });
      expect(patched.json).toMatchObject({ name: 'Renamed', has_client_secret: false, client_id: 'c' });
      const put = await admin('PUT', `/oidc/providers/${other.json.id}`, { audience: 'api://ailink', enabled: false });
      expect(put.json).toMatchObject({ name: 'Renamed', audience: 'api://ailink', enabled: false });
      expect((await admin('DELETE', `/oidc/providers/${other.json.id}`)).status).toBe(204);
      expect((await admin('GET', `/oidc/providers/${other.json.id}`)).status).toBe(404);
    });
  });

  describe('portal SSO', () => {
    it('lists enabled providers publicly, with ids and names only', async () => {
      const listed = await api('GET', '/auth/sso/providers', {});
      expect(listed.status).toBe(200);
      expect(listed.json).toContainEqual({ id: provider.id, name: 'Local IdP' });
      expect(listed.json.every((p: Json) => Object.keys(p).sort().join() === 'id,name')).toBe(true);
    });

    it('redirects to the provider with PKCE S256, state and nonce', async () => {
      const start = await api('GET', `/auth/sso/${provider.id}/login?redirect=/tokens`, {});
      expect(start.status).toBe(302);
      const url = new URL(String(start.headers['location']));
      expect(`${url.origin}${url.pathname}`).toBe(`${idp.issuer}/auth`);
      const q = Object.fromEntries(url.searchParams.entries());
      expect(q).toMatchObject({
        response_type: 'code',
        client_id: CLIENT_ID,
        redirect_uri: CALLBACK,
        scope: 'openid email profile groups',
        code_challenge_method: 'S256',
      });
      expect(q['state']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(q['nonce']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(q['code_challenge']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const unknown = await api('GET', `/auth/sso/${randomUUID()}/login`, {});
      expect({ status: unknown.status, location: unknown.headers['location'] }).toEqual({
        status: 302,
        location: '/login?error=provider_unavailable',
      });
    });

    it('signs an admin-group user in: HttpOnly cookie, mapped role, CSRF on writes, logout', async () => {
      const session = await ssoLogin('alice', '/tokens?x=1');
      expect(session.location).toBe('/tokens?x=1');
      expect(session.setCookie).toMatch(/^ailink_session=[A-Za-z0-9_-]{43}; Path=\/api; Max-Age=28800; HttpOnly; SameSite=Lax$/);

      const current = await api('GET', '/auth/session', { cookie: session.cookie });
      expect(current.status).toBe(200);
      expect(current.json).toEqual({
        org_id: DEFAULT_ORG_ID,
        user_id: expect.any(String),
        role: 'Admin',
        scopes: ['*'],
        auth_method: 'session',
        email: 'alice@example.com',
        csrf_token: expect.any(String),
        expires_at: expect.any(String),
      });
      const who = await api('GET', '/auth/whoami', { cookie: session.cookie });
      expect(who.json).toMatchObject({ role: 'Admin', auth_method: 'session', user_id: current.json.user_id });

      const noCsrf = await api('POST', '/tokens', { cookie: session.cookie }, { name: 'sso', upstream_url: 'https://api.example.com' });
      expect({ status: noCsrf.status, code: noCsrf.json.error.code }).toEqual({ status: 403, code: 'forbidden' });
      const wrongCsrf = await api(
        'POST',
        '/tokens',
        { cookie: session.cookie, 'x-csrf-token': 'x'.repeat(43) },
        { name: 'sso', upstream_url: 'https://api.example.com' },
      );
      expect(wrongCsrf.status).toBe(403);
      const withCsrf = await api(
        'POST',
        '/tokens',
        { cookie: session.cookie, 'x-csrf-token': current.json.csrf_token },
        { name: 'sso', upstream_url: 'https://api.example.com' },
      );
      expect(withCsrf.status).toBe(201);

      const users = (await admin('GET', '/users')).json as Json[];
      const alice = users.find((u) => u.id === current.json.user_id);
      expect(alice).toMatchObject({
        email: 'alice@example.com',
        name: 'Alice Admin',
        oidc_provider_id: provider.id,
        oidc_subject: 'alice',
        role: 'admin',
      });
      expect(alice.last_login_at).not.toBeNull();
      const members = (await admin('GET', `/teams/${engineering.id}/members`)).json as Json[];
      expect(members.find((m) => m.user_id === alice.id)).toMatchObject({ source: 'oidc', role: 'member' });

      expect((await api('POST', '/auth/logout', { cookie: session.cookie })).status).toBe(403);
      const out = await api('POST', '/auth/logout', { cookie: session.cookie, 'x-csrf-token': current.json.csrf_token });
      expect(out.status).toBe(204);
      expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
      expect((await api('GET', '/auth/session', { cookie: session.cookie })).status).toBe(401);
    });

    it('gives an unmapped user the default role (ReadOnly): reads pass, writes 403', async () => {
      const session = await ssoLogin('bob', '/');
      const current = await api('GET', '/auth/session', { cookie: session.cookie });
      expect(current.json).toMatchObject({ role: 'ReadOnly', scopes: ['*'], email: 'bob@example.com' });
      expect((await api('GET', '/tokens', { cookie: session.cookie })).status).toBe(200);
      const write = await api(
        'POST',
        '/tokens',
        { cookie: session.cookie, 'x-csrf-token': current.json.csrf_token },
        { name: 'nope', upstream_url: 'https://api.example.com' },
      );
      expect({ status: write.status, code: write.json.error.code }).toEqual({ status: 403, code: 'forbidden' });
      const members = (await admin('GET', `/teams/${engineering.id}/members`)).json as Json[];
      expect(members.some((m) => m.user_id === current.json.user_id && m.source === 'oidc')).toBe(true);
    });

    it('removes memberships the provider granted for groups now absent, keeps manual ones', async () => {
      // carol was granted platform by this provider earlier, and added to engineering by hand.
      const carol = (await admin('POST', '/users', { email: 'carol@example.com', role: 'member' })).json;
      await ds.query(`UPDATE users SET oidc_provider_id = $1, oidc_subject = 'carol' WHERE id = $2`, [provider.id, carol.id]);
      await ds.query(`INSERT INTO team_members (team_id, user_id, source, oidc_provider_id) VALUES ($1, $2, 'oidc', $3)`, [
        platform.id,
        carol.id,
        provider.id,
      ]);
      expect((await admin('POST', `/teams/${engineering.id}/members`, { user_id: carol.id })).status).toBe(200);
      const session = await ssoLogin('carol');
      const current = await api('GET', '/auth/session', { cookie: session.cookie });
      expect(current.json).toMatchObject({ user_id: carol.id, role: 'Member' }); // the role an admin gave her
      expect(((await admin('GET', `/teams/${platform.id}/members`)).json as Json[]).some((m) => m.user_id === carol.id)).toBe(false);
      expect(((await admin('GET', `/teams/${engineering.id}/members`)).json as Json[]).find((m) => m.user_id === carol.id)).toMatchObject({
        source: 'manual',
      });
    });

    it('links a user an admin created ahead of time by verified email (any case)', async () => {
      const dave = (await admin('POST', '/users', { email: 'dave@example.com', name: 'Dave (HR)', role: 'member' })).json;
      const session = await ssoLogin('dave');
      const current = await api('GET', '/auth/session', { cookie: session.cookie });
      expect(current.json).toMatchObject({ user_id: dave.id, role: 'Member' });
      const listed = ((await admin('GET', '/users')).json as Json[]).filter((u) => u.email?.toLowerCase() === 'dave@example.com');
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: dave.id, oidc_provider_id: provider.id, oidc_subject: 'dave' });
    });

    it('refuses a replayed or unknown state, and sanitises the landing path', async () => {
      const start = await api('GET', `/auth/sso/${provider.id}/login?redirect=${encodeURIComponent('https://evil.example/x')}`, {});
      const callbackUrl = new URL(await completeIdpLogin(String(start.headers['location']), 'bob'));
      const first = await call('GET', `${callbackUrl.pathname}${callbackUrl.search}`);
      expect(first.headers['location']).toBe('/');
      const replay = await call('GET', `${callbackUrl.pathname}${callbackUrl.search}`);
      expect({ status: replay.status, location: replay.headers['location'], cookie: replay.headers['set-cookie'] }).toEqual({
        status: 302,
        location: '/login?error=invalid_state',
        cookie: undefined,
      });
      expect((await call('GET', `/${API_PREFIX}/auth/sso/callback?code=x&state=${'a'.repeat(43)}`)).headers['location']).toBe(
        '/login?error=invalid_state',
      );
    });

    it('answers 401 on /auth/session to other credentials, and ends sessions of a disabled provider', async () => {
      expect((await admin('GET', '/auth/session')).status).toBe(401);
      const session = await ssoLogin('bob');
      expect((await api('GET', '/auth/whoami', { cookie: session.cookie })).status).toBe(200);
      expect((await admin('PATCH', `/oidc/providers/${provider.id}`, { enabled: false })).status).toBe(200);
      expect((await api('GET', '/auth/whoami', { cookie: session.cookie })).status).toBe(401);
      expect(((await api('GET', '/auth/sso/providers', {})).json as Json[]).some((p) => p.id === provider.id)).toBe(false);
      expect((await admin('PATCH', `/oidc/providers/${provider.id}`, { enabled: true })).status).toBe(200);
      expect((await api('GET', '/auth/whoami', { cookie: session.cookie })).status).toBe(200);
    });
  });

  describe('bearer JWTs on the Management API', () => {
    it('maps the admin group to Admin and an unknown user to the default role, provisioning both', async () => {
      const adminWho = await api('GET', '/auth/whoami', bearer(idpJwt('jwt-admin', { groups: ['admin'], email: 'jwt-admin@example.com' })));
      expect(adminWho.status).toBe(200);
      expect(adminWho.json).toEqual({
        org_id: DEFAULT_ORG_ID,
        user_id: expect.any(String),
        role: 'Admin',
        scopes: ['*'],
        auth_method: 'oidc',
        email: 'jwt-admin@example.com',
      });
      const sub = `stranger-${randomUUID()}`;
      const stranger = await api('GET', '/auth/whoami', bearer(idpJwt(sub)));
      expect(stranger.json).toMatchObject({ role: 'ReadOnly', auth_method: 'oidc' });
      const users = (await admin('GET', '/users')).json as Json[];
      expect(users.find((u) => u.id === stranger.json.user_id)).toMatchObject({ oidc_subject: sub, role: 'readonly', last_login_at: null });
      expect((await api('GET', '/tokens', bearer(idpJwt(sub)))).status).toBe(200);
      expect((await api('POST', '/tokens', bearer(idpJwt(sub)), { name: 'x', upstream_url: 'https://api.example.com' })).status).toBe(403);
      const adminWrite = await api('POST', '/tokens', bearer(idpJwt('jwt-admin', { groups: ['admin'] })), {
        name: 'from-jwt',
        upstream_url: 'https://api.example.com',
      });
      expect(adminWrite.status).toBe(201);
    });

    it('maps groups to teams', async () => {
      const sub = `grouped-${randomUUID()}`;
      const who = await api('GET', '/auth/whoami', bearer(idpJwt(sub, { groups: ['platform'] })));
      expect(who.status).toBe(200);
      const members = (await admin('GET', `/teams/${platform.id}/members`)).json as Json[];
      expect(members.find((m) => m.user_id === who.json.user_id)).toMatchObject({ source: 'oidc' });
    });

    it('answers 401 to expired, forged, wrong-audience, unknown-issuer, unsigned and not-yet-valid tokens', async () => {
      const now = Math.floor(Date.now() / 1000);
      const { privateKey: forger } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const base = { iss: idp.issuer, aud: CLIENT_ID, sub: 'alice', groups: ['admin'], iat: now };
      const cases: Record<string, string> = {
        expired: idp.signJwt({ ...base, exp: now - 120 }),
        forged: signRs256({ ...base, exp: now + 300 }, forger, { kid: idp.kid }),
        wrongAudience: idp.signJwt({ ...base, aud: 'another-app', exp: now + 300 }),
        unknownIssuer: idp.signJwt({ ...base, iss: 'https://unknown-issuer.example', exp: now + 300 }),
        unknownKid: idp.signJwt({ ...base, exp: now + 300 }, { kid: 'not-a-key' }),
        unsigned: `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...base, exp: now + 300 })).toString('base64url')}.`,
        notYetValid: idp.signJwt({ ...base, nbf: now + 600, exp: now + 900 }),
        noSubject: idp.signJwt({ ...base, sub: undefined, exp: now + 300 }),
      };
      const answers: Record<string, string> = {};
      for (const [name, token] of Object.entries(cases)) {
        const response = await api('GET', '/auth/whoami', bearer(token));
        answers[name] = `${response.status} ${response.json?.error?.code}`;
      }
      expect(answers).toEqual(Object.fromEntries(Object.keys(cases).map((name) => [name, '401 unauthorized'])));
      // Control: the same claims, properly signed and current, pass.
      expect((await api('GET', '/auth/whoami', bearer(idp.signJwt({ ...base, exp: now + 300 })))).status).toBe(200);
    });

    it('honours the provider audience when set, and refuses tokens of a disabled provider', async () => {
      expect((await admin('PATCH', `/oidc/providers/${provider.id}`, { audience: 'api://ailink' })).status).toBe(200);
      expect((await api('GET', '/auth/whoami', bearer(idpJwt('aud-user')))).status).toBe(401);
      expect((await api('GET', '/auth/whoami', bearer(idpJwt('aud-user', { aud: ['x', 'api://ailink'] })))).status).toBe(200);
      expect((await admin('PATCH', `/oidc/providers/${provider.id}`, { audience: null, enabled: false })).status).toBe(200);
      expect((await api('GET', '/auth/whoami', bearer(idpJwt('aud-user')))).status).toBe(401);
      expect((await admin('PATCH', `/oidc/providers/${provider.id}`, { enabled: true })).status).toBe(200);
      expect((await api('GET', '/auth/whoami', bearer(idpJwt('aud-user')))).status).toBe(200);
    });
  });

  describe('model access on the proxy path', () => {
    async function token(body: Record<string, unknown>): Promise<string> {
      const created = await admin('POST', '/tokens', { name: `models ${randomUUID()}`, upstream_url: `${upstream.url}/v1`, ...body });
      expect(created.status).toBe(201);
      return created.json.token_id;
    }
    async function chat(secret: string, model: string): Promise<Answer> {
      return call('POST', '/v1/chat/completions', bearer(secret), { model, messages: [{ role: 'user', content: 'hi' }] });
    }

    it('allows only the token’s allowed_models; other models get 403 model_access_denied', async () => {
      const secret = await token({ allowed_models: ['gpt-4o*'] });
      expect((await chat(secret, 'gpt-4o-mini')).status).toBe(200);
      expect((await chat(secret, 'GPT-4O')).status).toBe(200);
      const denied = await chat(secret, 'claude-3-5-sonnet');
      expect(denied.status).toBe(403);
      expect(denied.json.error).toMatchObject({
        code: 'model_access_denied',
        type: 'permission_error',
        message: "Model 'claude-3-5-sonnet' is not allowed for this token",
        details: { model: 'claude-3-5-sonnet', source: 'token' },
      });
      const none = await token({ allowed_models: [] });
      expect((await chat(none, 'gpt-4o')).status).toBe(403);
      const models = await call('GET', '/v1/models', bearer(none));
      expect(models.status).toBe(200);
    });

    it('joins access groups into the allow list, and sees group changes at once', async () => {
      const group = (await admin('POST', '/model-access-groups', { name: `group-${randomUUID()}`, models: ['claude-*'] })).json;
      const secret = await token({ allowed_model_group_ids: [group.id] });
      expect((await chat(secret, 'claude-3-haiku')).status).toBe(200);
      const denied = await chat(secret, 'gpt-4o');
      expect(denied.json.error.details).toEqual({ model: 'gpt-4o', source: 'group' });
      expect((await admin('PUT', `/model-access-groups/${group.id}`, { models: ['claude-*', 'gpt-4o*'] })).status).toBe(200);
      expect((await chat(secret, 'gpt-4o')).status).toBe(200);
      const both = await token({ allowed_models: ['mistral-*'], allowed_model_group_ids: [group.id] });
      expect((await chat(both, 'mistral-large')).status).toBe(200);
      expect((await chat(both, 'claude-3-haiku')).status).toBe(200);
      expect((await chat(both, 'llama-3')).json.error.details.source).toBe('token');
      expect((await admin('DELETE', `/model-access-groups/${group.id}`)).status).toBe(204);
      expect((await chat(secret, 'claude-3-haiku')).status).toBe(403);
    });

    it('applies the team’s allowed_models too, naming the team; a deleted team stops restricting', async () => {
      const team = (await admin('POST', '/teams', { name: `restricted ${randomUUID()}`, allowed_models: ['gpt-4o*'] })).json;
      const secret = await token({ team_id: team.id });
      expect((await chat(secret, 'gpt-4o-mini')).status).toBe(200);
      const denied = await chat(secret, 'o1-preview');
      expect(denied.status).toBe(403);
      expect(denied.json.error.message).toBe(`Model 'o1-preview' is not allowed for team '${team.name}'`);
      expect(denied.json.error.details).toEqual({ model: 'o1-preview', source: 'team' });
      const both = await token({ team_id: team.id, allowed_models: ['o1-*', 'gpt-4o'] });
      expect((await chat(both, 'o1-preview')).json.error.details.source).toBe('team');
      expect((await chat(both, 'gpt-4o')).status).toBe(200);
      expect((await admin('PUT', `/teams/${team.id}`, { allowed_models: null })).status).toBe(200);
      expect((await chat(secret, 'o1-preview')).status).toBe(200);
      expect((await admin('PUT', `/teams/${team.id}`, { allowed_models: [] })).status).toBe(200);
      expect((await chat(secret, 'gpt-4o')).status).toBe(403);
      expect((await admin('DELETE', `/teams/${team.id}`)).status).toBe(204);
      expect((await chat(secret, 'gpt-4o')).status).toBe(200);
    });

    it('checks the model named in a Gemini-style path', async () => {
      const secret = await token({ allowed_models: ['gemini-1.5-*'] });
      const denied = await call('POST', '/v1beta/models/gemini-2.0-pro:generateContent', bearer(secret), { contents: [] });
      expect(denied.status).toBe(403);
      expect(denied.json.error.details).toEqual({ model: 'gemini-2.0-pro', source: 'token' });
    });
  });
});
