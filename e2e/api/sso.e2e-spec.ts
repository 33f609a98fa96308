import { randomUUID } from 'node:crypto';
import { MockUpstream, completeIdpLogin, freePort, startTestIdp, type TestIdp } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

type Json = any;

const CLIENT_ID = 'ailink-e2e';
const CLIENT_SECRET = 'e2e-idp-client-secret-never-logged';

interface Call {
  status: number;
  json: Json;
  headers: Headers;
}

/**
 * OIDC against the built gateway (openid-client loaded from the webpack bundle) and a real IdP
 * (node-oidc-provider): portal SSO with a session cookie, bearer JWTs (claim → role, group → team,
 * expired / wrong-audience / unknown-issuer → 401) and the proxy's model access check.
 */
describe('OIDC and model access (built gateway, external mode, local IdP)', () => {
  const upstream = new MockUpstream();
  let idp: TestIdp;
  let gw: GatewayProcess;
  let provider: Json;
  let team: Json;

  async function api(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Call> {
    const response = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      redirect: 'manual',
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
  }
  const admin = () => ({ 'x-admin-key': gw.adminKey });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const jwt = (sub: string, claims: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return idp.signJwt({ iss: idp.issuer, aud: CLIENT_ID, sub, iat: now, exp: now + 300, ...claims });
  };

  beforeAll(async () => {
    await upstream.start();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({
      clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${publicUrl}/api/v1/auth/sso/callback`] }],
      accounts: {
        ada: { email: 'ada@example.com', email_verified: true, name: 'Ada', groups: ['ailink-admins'] },
        lin: { email: 'lin@example.com', email_verified: true, name: 'Lin', groups: ['ml'] },
      },
    });
    gw = await startGateway({
      env: { AILINK_PORT: String(port), AILINK_PUBLIC_URL: publicUrl, AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
    });
    team = (await api('POST', '/teams', admin(), { name: `ml ${randomUUID()}`, allowed_models: ['gpt-4o*'] })).json;
    const created = await api('POST', '/oidc/providers', admin(), {
      name: 'E2E IdP',
      issuer_url: idp.issuer,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scopes: 'openid email profile groups',
      claim_mapping: { role: 'groups', role_values: { 'ailink-admins': 'admin' }, group_teams: { ml: team.id } },
      default_role: 'readonly',
      default_scopes: ['*'],
    });
    expect(created.status).toBe(201);
    provider = created.json;
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await idp?.stop();
    await upstream.stop();
  });

  async function signIn(login: string): Promise<{ cookie: string; csrf: string; session: Json }> {
    const start = await api('GET', `/auth/sso/${provider.id}/login?redirect=%2Ftokens`);
    expect(start.status).toBe(302);
    const callback = await fetch(await completeIdpLogin(String(start.headers.get('location')), login), { redirect: 'manual' });
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/tokens');
    const setCookie = callback.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const cookie = setCookie.split(';')[0];
    const session = await api('GET', '/auth/session', { cookie });
    expect(session.status).toBe(200);
    return { cookie, csrf: session.json.csrf_token, session: session.json };
  }

  it('signs a user in through the IdP: the admin group maps to Admin, an unmapped user gets ReadOnly and its team', async () => {
    const ada = await signIn('ada');
    expect(ada.session).toMatchObject({ role: 'Admin', auth_method: 'session', email: 'ada@example.com' });
    const lin = await signIn('lin');
    expect(lin.session).toMatchObject({ role: 'ReadOnly', email: 'lin@example.com' });
    const write = await api(
      'POST',
      '/tokens',
      { cookie: lin.cookie, 'x-csrf-token': lin.csrf },
      { name: 'x', upstream_url: 'https://api.example.com' },
    );
    expect(write.status).toBe(403);
    const members = (await api('GET', `/teams/${team.id}/members`, admin())).json as Json[];
    expect(members.map((m) => m.user_id)).toContain(lin.session.user_id);
    expect((await api('POST', '/auth/logout', { cookie: ada.cookie, 'x-csrf-token': ada.csrf })).status).toBe(204);
    expect((await api('GET', '/auth/whoami', { cookie: ada.cookie })).status).toBe(401);
  });

  it('accepts the provider’s bearer JWTs and refuses expired, wrong-audience and unknown-issuer ones', async () => {
    expect((await api('GET', '/auth/whoami', bearer(jwt('api-admin', { groups: ['ailink-admins'] })))).json).toMatchObject({
      role: 'Admin',
      auth_method: 'oidc',
    });
    expect((await api('GET', '/auth/whoami', bearer(jwt('api-reader')))).json).toMatchObject({ role: 'ReadOnly' });
    const now = Math.floor(Date.now() / 1000);
    for (const token of [jwt('x', { exp: now - 600 }), jwt('x', { aud: 'someone-else' }), jwt('x', { iss: 'https://unknown.example' })]) {
      const answer = await api('GET', '/auth/whoami', bearer(token));
      expect({ status: answer.status, code: answer.json.error.code }).toEqual({ status: 401, code: 'unauthorized' });
    }
  });

  it('refuses models outside a token’s allow list on the proxy path', async () => {
    const token = await api('POST', '/tokens', admin(), {
      name: 'restricted',
      upstream_url: `${upstream.url}/v1`,
      allowed_models: ['gpt-4o*'],
    });
    expect(token.status).toBe(201);
    const chat = (model: string) =>
      fetch(`${gw.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.json.token_id}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect((await chat('gpt-4o-mini')).status).toBe(200);
    const denied = await chat('claude-3-opus');
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as Json).error).toMatchObject({
      code: 'model_access_denied',
      details: { model: 'claude-3-opus', source: 'token' },
    });
  });

  it('never logs the client secret or a session cookie', async () => {
    const { cookie } = await signIn('ada');
    const logs = gw.logs();
    expect(logs).not.toContain(CLIENT_SECRET);
    expect(logs).not.toContain(cookie.split('=')[1]);
  });
});
