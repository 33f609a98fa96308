/**
 * The admin audit trail against the built gateway (external mode): writes are recorded off the
 * request path and none is lost when the process stops, even with a flush interval far longer than
 * the test (the shutdown writes them); the next process serves them through GET /audit/admin.
 *
 *   npx nx run gateway:build
 *   TEST_DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/ailink_test_adminaudit_e2e \
 *     npx jest -c e2e/jest.config.cts e2e/api/admin-audit --runInBand
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_DATABASE_URL } from '@ailink/testing';
import { startGateway, type GatewayProcess } from '../support/gateway';

type Json = any;

describe('admin audit trail (built gateway)', () => {
  const adminKey = `e2e_admin_${randomBytes(16).toString('hex')}`;
  const credentialSecret = `sk-e2e-audit-${randomBytes(12).toString('hex')}`;
  const env = { AILINK_ADMIN_KEY: adminKey, AILINK_AUDIT_FLUSH_MS: '60000' };
  const gateways: GatewayProcess[] = [];
  let db: Client;

  async function api(
    gw: GatewayProcess,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Json; headers: Headers }> {
    const response = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  async function start(): Promise<GatewayProcess> {
    const gw = await startGateway({ env });
    gateways.push(gw);
    return gw;
  }

  beforeAll(async () => {
    db = new Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    await db?.end();
  });

  let tokenId: string;
  let tokenSecret: string;
  let credentialId: string;

  it('records writes without waiting for the flush, and writes them all on SIGTERM', async () => {
    const gw = await start();
    const credential = await api(gw, 'POST', '/credentials', {
      name: `e2e-${randomBytes(4).toString('hex')}`,
      provider: 'openai',
      secret: credentialSecret,
    });
    expect(credential.status).toBe(201);
    credentialId = credential.body.id;
    const token = await api(gw, 'POST', '/tokens', {
      name: 'e2e-audited',
      upstream_url: 'https://api.example.com/v1',
      credential_id: credentialId,
    });
    expect(token.status).toBe(201);
    tokenId = token.body.id;
    tokenSecret = token.body.token_id;
    expect((await api(gw, 'PATCH', `/tokens/${tokenSecret}`, { name: 'e2e-renamed' })).status).toBe(200);
    expect((await api(gw, 'DELETE', `/tokens/${tokenId}`)).status).toBe(204);

    // The flush interval is a minute: nothing but the first startup cycle has run yet.
    const pending = await db.query(`SELECT count(*)::int AS n FROM admin_audit_log WHERE resource_id = ANY($1)`, [[tokenId, credentialId]]);
    expect(pending.rows[0].n).toBe(0);

    expect(await gw.stop()).toBe(0);
    const rows = await db.query(
      `SELECT method, resource_kind, resource_id, actor, status, before, after, to_jsonb(a)::text AS whole
       FROM admin_audit_log a WHERE resource_id = ANY($1) ORDER BY created_at, method`,
      [[tokenId, credentialId]],
    );
    expect(rows.rows.map((r) => [r.resource_kind, r.method, r.status])).toEqual([
      ['credential', 'POST', 201],
      ['token', 'POST', 201],
      ['token', 'PATCH', 200],
      ['token', 'DELETE', 204],
    ]);
    expect(rows.rows.every((r) => r.actor === 'admin_key')).toBe(true);
    expect(rows.rows[2].before).toMatchObject({ id: tokenId, name: 'e2e-audited' });
    expect(rows.rows[2].after).toMatchObject({ id: tokenId, name: 'e2e-renamed' });
    for (const r of rows.rows) {
      expect(r.whole).not.toContain(credentialSecret);
      expect(r.whole).not.toContain(tokenSecret);
      expect(r.whole).not.toContain(adminKey);
    }
  });

  it('serves the trail from the next process, filtered and paginated', async () => {
    const gw = await start();
    const all = await api(gw, 'GET', `/audit/admin?resource_id=${encodeURIComponent(tokenSecret)}&limit=2`);
    expect(all.status).toBe(200);
    expect(all.body.map((e: Json) => e.method)).toEqual(['DELETE', 'PATCH']);
    const cursor = all.headers.get('x-next-cursor');
    expect(cursor).toBeTruthy();
    const rest = await api(gw, 'GET', `/audit/admin?resource_id=${tokenId}&limit=2&cursor=${cursor}`);
    expect(rest.body.map((e: Json) => e.method)).toEqual(['POST']);
    expect(rest.headers.get('x-next-cursor')).toBeNull();
    const one = await api(gw, 'GET', `/audit/admin/${all.body[1].id}`);
    expect(one.body).toMatchObject({ path: `/api/v1/tokens/${tokenId}`, route: '/api/v1/tokens/:id', resource_kind: 'token' });
    const credentials = await api(gw, 'GET', `/audit/admin?resource_kind=credential&resource_id=${credentialId}`);
    expect(credentials.body).toHaveLength(1);
    expect(credentials.body[0].after).toMatchObject({ id: credentialId, provider: 'openai' });
    expect(JSON.stringify(credentials.body)).not.toContain(credentialSecret);
  });
});
