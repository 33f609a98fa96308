import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { DEFAULT_ORG_ID, DEFAULT_PROJECT_ID, type AdminAuditEntry } from '@ailink/shared-contracts';
import { loadConfig, publicTokenId } from '@ailink/gateway-core';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { API_PREFIX, createGateway } from './create-gateway';

const ADMIN_KEY = 'admin-audit-int-admin-key-0123456789';
type Json = any;

/**
 * The admin audit trail through the whole application (management-api.md "Admin audit trail"):
 * every successful write of tokens, credentials, services, projects and API keys is recorded with
 * its actor and masked before/after snapshots; the query API filters, paginates and stays inside
 * the caller's organisation; and no secret ever reaches the table. Everything happens in an
 * organisation of its own (the admin key acts there through `project_id`/`org_id`), so that suites
 * running at the same time against the default organisation see nothing of it.
 */
describe('admin audit trail (gateway)', () => {
  const keyPrefix = `adminaudit${Date.now()}:`;
  let app: NestFastifyApplication;
  let ds: DataSource;
  /** Every secret the tests handle: none may appear anywhere in `admin_audit_log`. */
  const secrets: string[] = [ADMIN_KEY];
  let adminApiKey: { id: string; key: string };
  /** The organisation these tests work in, and its default project. */
  let org: { id: string; default_project_id: string };

  async function api(method: string, path: string, headers: Record<string, string>, body?: unknown) {
    const response = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: method as 'GET',
        url: `/${API_PREFIX}${path}`,
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
  const admin = (method: string, path: string, body?: unknown) => api(method, path, { 'x-admin-key': ADMIN_KEY }, body);
  const as = (key: string) => (method: string, path: string, body?: unknown) => api(method, path, { authorization: `Bearer ${key}` }, body);

  async function ok(response: { status: number; text: string; json: Json }, status = 200): Promise<Json> {
    if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${response.text}`);
    return response.json;
  }

  /** The entries of a resource, oldest first, once `count` of them are written (the writer batches in the background). */
  async function entriesOf(kind: string, resourceId: string, count: number): Promise<AdminAuditEntry[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const page = await admin('GET', `/audit/admin?org_id=${org.id}&resource_kind=${kind}&resource_id=${encodeURIComponent(resourceId)}`);
      const items = (page.json as AdminAuditEntry[]).slice().reverse();
      if (items.length >= count) return items;
      if (Date.now() > deadline) throw new Error(`only ${items.length} of ${count} entries for ${kind} ${resourceId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_ADMIN_KEY: ADMIN_KEY,
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
        AILINK_AUDIT_FLUSH_MS: '50',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-admin-audit-')),
        AILINK_PORTAL_DIR: mkdtempSync(join(tmpdir(), 'ailink-noportal-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    app = await createGateway(config, pino({ level: 'silent' }));
    ds = app.get(DataSource);
    org = await ok(await admin('POST', '/organizations', { name: `admin-audit ${randomUUID()}` }), 201);
    adminApiKey = await ok(await admin('POST', '/auth/keys', { name: `audit-admin-${randomUUID()}`, role: 'admin', org_id: org.id }), 201);
    secrets.push(adminApiKey.key);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('records token create, patch (by bearer secret) and revoke by the admin key, with masked before/after', async () => {
    const created = await ok(
      await admin('POST', '/tokens', {
        name: 'audited-agent',
        upstream_url: 'https://api.example.com/v1',
        project_id: org.default_project_id,
      }),
      201,
    );
    secrets.push(created.token_id);
    expect(created.id).toBe(publicTokenId(created.token_id));
    await ok(await admin('PATCH', `/tokens/${created.token_id}`, { name: 'renamed-agent', tags: { team: 'a' } }));
    await ok(await admin('DELETE', `/tokens/${created.id}`), 204);

    const [create, patch, revoke] = await entriesOf('token', created.id, 3);
    expect(create).toMatchObject({
      actor: 'admin_key',
      auth_method: 'admin_key',
      method: 'POST',
      path: '/api/v1/tokens',
      route: '/api/v1/tokens',
      resource_kind: 'token',
      resource_id: created.id,
      status: 201,
      // The super-admin's write is filed under the organisation of the token it created.
      org_id: org.id,
      project_id: org.default_project_id,
      before: null,
      after: { id: created.id, name: 'audited-agent', masked: created.masked, is_active: true },
    });
    expect(create.request_id).toMatch(/^req_[0-9a-f]{32}$/);
    expect(patch).toMatchObject({
      method: 'PATCH',
      // The bearer secret in the path is recorded as the public id.
      path: `/api/v1/tokens/${created.id}`,
      route: '/api/v1/tokens/:id',
      status: 200,
      before: { id: created.id, name: 'audited-agent' },
      after: { id: created.id, name: 'renamed-agent', tags: { team: 'a' } },
    });
    expect(revoke).toMatchObject({
      method: 'DELETE',
      status: 204,
      before: { id: created.id, name: 'renamed-agent', is_active: true },
      after: null,
    });
    for (const entry of [create, patch, revoke]) expect(JSON.stringify(entry)).not.toContain(created.token_id);
    expect(Date.parse(create.created_at)).toBeLessThanOrEqual(Date.parse(revoke.created_at));
  });

  it('records credential writes by an API key: metadata only, never the secret', async () => {
    const key = as(adminApiKey.key);
    const secret = `sk-audit-${randomUUID()}`;
    const rotated = `sk-rotated-${randomUUID()}`;
    secrets.push(secret, rotated);
    const created = await ok(await key('POST', '/credentials', { name: `openai-${randomUUID()}`, provider: 'openai', secret }), 201);
    await ok(await key('PATCH', `/credentials/${created.id}`, { injection_mode: 'header', injection_header: 'x-api-key' }));
    await ok(await key('POST', `/credentials/${created.id}/rotate`, { secret: rotated }));
    await ok(await key('DELETE', `/credentials/${created.id}`));

    const [create, patch, rotate, remove] = await entriesOf('credential', created.id, 4);
    for (const entry of [create, patch, rotate, remove]) {
      expect(entry).toMatchObject({ actor: adminApiKey.id, auth_method: 'api_key', resource_kind: 'credential', resource_id: created.id });
      expect(JSON.stringify(entry)).not.toContain(secret);
      expect(JSON.stringify(entry)).not.toContain(rotated);
    }
    expect(create).toMatchObject({
      method: 'POST',
      status: 201,
      org_id: org.id,
      project_id: org.default_project_id,
      before: null,
      after: { id: created.id, provider: 'openai', version: 1 },
    });
    expect(create.after).not.toHaveProperty('secret');
    expect(patch).toMatchObject({
      before: { injection_mode: 'bearer' },
      after: { injection_mode: 'header', injection_header: 'x-api-key' },
    });
    expect(rotate).toMatchObject({
      method: 'POST',
      path: `/api/v1/credentials/${created.id}/rotate`,
      before: { version: 1 },
      after: { version: 2 },
    });
    expect(remove).toMatchObject({ method: 'DELETE', before: { id: created.id }, after: null });
  });

  it('records service create, patch and delete', async () => {
    const created = await ok(
      await admin('POST', '/services', {
        name: `crm-${randomUUID().slice(0, 8)}`,
        base_url: 'http://127.0.0.1:9/crm',
        description: 'CRM',
        project_id: org.default_project_id,
      }),
      201,
    );
    await ok(await admin('PATCH', `/services/${created.id}`, { description: 'Customer records' }));
    await ok(await admin('DELETE', `/services/${created.id}`));
    const [create, patch, remove] = await entriesOf('service', created.id, 3);
    expect(create).toMatchObject({ before: null, after: { id: created.id, description: 'CRM', base_url: 'http://127.0.0.1:9/crm' } });
    expect(patch).toMatchObject({ before: { description: 'CRM' }, after: { description: 'Customer records' } });
    expect(remove).toMatchObject({ before: { id: created.id, description: 'Customer records' }, after: null, status: 200 });
  });

  it('records projects and API keys; a minted key is never stored', async () => {
    const key = as(adminApiKey.key);
    const project = await ok(await key('POST', '/projects', { name: `audited ${randomUUID()}` }), 201);
    await ok(await key('PUT', `/projects/${project.id}`, { name: 'audited renamed' }));
    await ok(await key('DELETE', `/projects/${project.id}`), 204);
    const [create, rename, remove] = await entriesOf('project', project.id, 3);
    expect(create).toMatchObject({ actor: adminApiKey.id, project_id: project.id, after: { id: project.id, org_id: org.id } });
    expect(rename).toMatchObject({ before: { name: project.name }, after: { name: 'audited renamed' } });
    expect(remove).toMatchObject({ before: { name: 'audited renamed' }, after: null });

    const minted = await ok(
      await admin('POST', '/auth/keys', { name: 'audited-key', role: 'member', scopes: ['tokens:read'], org_id: org.id }),
      201,
    );
    secrets.push(minted.key);
    await ok(await admin('DELETE', `/auth/keys/${minted.id}`), 204);
    const [mint, revoke] = await entriesOf('api_key', minted.id, 2);
    expect(mint).toMatchObject({
      org_id: org.id,
      before: null,
      after: { id: minted.id, org_id: org.id, role: 'member', scopes: ['tokens:read'], is_active: true },
    });
    expect(mint.after).not.toHaveProperty('key');
    expect(revoke).toMatchObject({ org_id: org.id, before: { id: minted.id, is_active: true }, after: null });
  });

  it('records routes without a snapshot provider with their masked response or request body', async () => {
    const token = await ok(
      await admin('POST', '/tokens', {
        name: 'spend-capped',
        upstream_url: 'https://api.example.com/v1',
        project_id: org.default_project_id,
      }),
      201,
    );
    secrets.push(token.token_id);
    await ok(await admin('PUT', `/tokens/${token.token_id}/spend`, { period: 'daily', limit_usd: 5 }), 204);
    const [cap] = await entriesOf('token.spend', token.id, 1);
    expect(cap).toMatchObject({
      path: `/api/v1/tokens/${token.id}/spend`,
      route: '/api/v1/tokens/:id/spend',
      before: null,
      after: { period: 'daily', limit_usd: 5 },
      status: 204,
      // Filed under the token's project and organisation (found through the token's snapshot provider).
      project_id: org.default_project_id,
      org_id: org.id,
    });
  });

  it('records only successful writes: no reads, no refusals, no failures', async () => {
    const marker = `never-${randomUUID()}`;
    await admin('GET', '/tokens');
    expect((await admin('POST', '/tokens', { name: marker, upstream_url: 'ftp://nope' })).status).toBe(400);
    expect((await admin('PATCH', `/services/${randomUUID()}`, { name: marker })).status).toBe(404);
    const readonly = await ok(await admin('POST', '/auth/keys', { name: 'ro', role: 'readonly', org_id: org.id }), 201);
    secrets.push(readonly.key);
    expect((await as(readonly.key)('POST', '/tokens', { name: marker, upstream_url: 'https://api.example.com' })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    const rows = await ds.query(`SELECT count(*)::int AS n FROM admin_audit_log WHERE before::text LIKE $1 OR after::text LIKE $1`, [
      `%${marker}%`,
    ]);
    expect(rows[0].n).toBe(0);
    expect((await ds.query(`SELECT count(*)::int AS n FROM admin_audit_log WHERE method = 'GET'`))[0].n).toBe(0);
  });

  describe('query API', () => {
    let tokenId: string;
    let tokenSecret: string;

    beforeAll(async () => {
      const created = await ok(
        await admin('POST', '/tokens', { name: 'paged', upstream_url: 'https://api.example.com/v1', project_id: org.default_project_id }),
        201,
      );
      tokenId = created.id;
      tokenSecret = created.token_id;
      secrets.push(tokenSecret);
      for (let i = 0; i < 4; i++) await ok(await admin('PATCH', `/tokens/${tokenId}`, { name: `paged-${i}` }));
      await entriesOf('token', tokenId, 5);
    });

    it('paginates newest first with X-Next-Cursor, and accepts the bearer secret as resource_id', async () => {
      const seen: AdminAuditEntry[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const response = await admin(
          'GET',
          `/audit/admin?org_id=${org.id}&resource_id=${encodeURIComponent(tokenSecret)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(response.status).toBe(200);
        seen.push(...(response.json as AdminAuditEntry[]));
        cursor = response.headers['x-next-cursor'] as string | undefined;
        if (!cursor) break;
      }
      expect(seen.map((e) => e.after && (e.after as { name: string }).name)).toEqual(['paged-3', 'paged-2', 'paged-1', 'paged-0', 'paged']);
      expect(new Set(seen.map((e) => e.id)).size).toBe(5);
      const offset = await admin('GET', `/audit/admin?org_id=${org.id}&resource_id=${tokenId}&limit=2&offset=2`);
      expect((offset.json as AdminAuditEntry[]).map((e) => e.id)).toEqual(seen.slice(2, 4).map((e) => e.id));
    });

    it('filters by actor, kind, method and time range, and reads one entry by id', async () => {
      const posts = (await admin('GET', `/audit/admin?org_id=${org.id}&resource_id=${tokenId}&method=POST`)).json as AdminAuditEntry[];
      expect(posts).toHaveLength(1);
      const created = posts[0];
      expect((await admin('GET', `/audit/admin/${created.id}`)).json).toEqual(created);
      const at = Date.parse(created.created_at);
      const from = new Date(at).toISOString();
      const to = new Date(at + 1).toISOString();
      const window = (await admin('GET', `/audit/admin?org_id=${org.id}&resource_kind=token&from=${from}&to=${to}`))
        .json as AdminAuditEntry[];
      expect(window.map((e) => e.id)).toContain(created.id);
      expect(window.every((e) => Date.parse(e.created_at) >= at && Date.parse(e.created_at) < at + 1)).toBe(true);
      const before = (await admin('GET', `/audit/admin?org_id=${org.id}&resource_id=${tokenId}&to=${from}`)).json as AdminAuditEntry[];
      expect(before).toEqual([]);
      // The organisation's own key reads its organisation without naming it.
      const byKey = (await as(adminApiKey.key)('GET', `/audit/admin?actor=${adminApiKey.id}`)).json as AdminAuditEntry[];
      expect(byKey.length).toBeGreaterThan(0);
      expect(byKey.every((e) => e.actor === adminApiKey.id && e.auth_method === 'api_key')).toBe(true);
      const byAdmin = (await admin('GET', `/audit/admin?org_id=${org.id}&actor=admin_key&resource_kind=token&limit=200`))
        .json as AdminAuditEntry[];
      expect(byAdmin.every((e) => e.actor === 'admin_key' && e.resource_kind === 'token')).toBe(true);
    });

    it('answers 400/422 for malformed queries', async () => {
      expect((await admin('GET', '/audit/admin?cursor=abc&offset=1')).status).toBe(400);
      expect((await admin('GET', '/audit/admin?cursor=!!!')).status).toBe(400);
      expect((await admin('GET', '/audit/admin?limit=abc')).status).toBe(400);
      expect((await admin('GET', '/audit/admin?limit=0')).status).toBe(422);
      expect((await admin('GET', '/audit/admin?method=GET')).status).toBe(422);
      expect((await admin('GET', '/audit/admin?from=yesterday')).json.error.code).toBe('validation_error');
      expect((await admin('GET', '/audit/admin/not-a-uuid')).status).toBe(400);
      expect((await admin('GET', `/audit/admin/${randomUUID()}`)).status).toBe(404);
    });

    it('requires audit:read', async () => {
      const mint = (name: string, scopes: string[]) => admin('POST', '/auth/keys', { name, role: 'member', scopes, org_id: org.id });
      const member = await ok(await mint('no-audit', ['tokens:read']), 201);
      const reader = await ok(await mint('auditor', ['audit:read']), 201);
      secrets.push(member.key, reader.key);
      expect((await as(member.key)('GET', '/audit/admin')).status).toBe(403);
      const read = await as(reader.key)('GET', '/audit/admin');
      expect(read.status).toBe(200);
      expect((read.json as AdminAuditEntry[]).every((e) => e.org_id === org.id)).toBe(true);
      expect((await api('GET', '/audit/admin', {})).status).toBe(401);
    });
  });

  describe('organisation isolation', () => {
    let org2: { id: string; default_project_id: string };
    let other: ReturnType<typeof as>;
    let firstOrgEntry: AdminAuditEntry;

    beforeAll(async () => {
      org2 = await ok(await admin('POST', '/organizations', { name: `audit-org2 ${randomUUID()}` }), 201);
      const key = await ok(await admin('POST', '/auth/keys', { name: 'org2-admin', role: 'admin', org_id: org2.id }), 201);
      secrets.push(key.key);
      other = as(key.key);
      const token = await ok(
        await admin('POST', '/tokens', {
          name: 'first-org-only',
          upstream_url: 'https://api.example.com',
          project_id: org.default_project_id,
        }),
        201,
      );
      secrets.push(token.token_id);
      [firstOrgEntry] = await entriesOf('token', token.id, 1);
    });

    it("keeps another organisation's entries out of lists and answers 404 by id", async () => {
      const own = await ok(await other('POST', '/tokens', { name: 'org2-agent', upstream_url: 'https://api.example.com' }), 201);
      secrets.push(own.token_id);
      const deadline = Date.now() + 10_000;
      let listed: AdminAuditEntry[] = [];
      while (!listed.some((e) => e.resource_id === own.id) && Date.now() < deadline) {
        listed = (await other('GET', '/audit/admin?limit=200')).json;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(listed.some((e) => e.resource_id === own.id)).toBe(true);
      expect(listed.every((e) => e.org_id === org2.id)).toBe(true);
      expect(listed.map((e) => e.id)).not.toContain(firstOrgEntry.id);
      expect((await other('GET', `/audit/admin/${firstOrgEntry.id}`)).status).toBe(404);
      expect((await other('GET', `/audit/admin?org_id=${DEFAULT_ORG_ID}`)).status).toBe(404);
      expect((await other('GET', `/audit/admin?org_id=${org.id}`)).status).toBe(404);
      expect((await other('GET', `/audit/admin?project_id=${org.default_project_id}`)).status).toBe(404);
      expect((await other('GET', `/audit/admin?project_id=${DEFAULT_PROJECT_ID}`)).status).toBe(404);
      expect((await admin('GET', '/audit/admin?limit=200')).json.map((e: AdminAuditEntry) => e.resource_id)).not.toContain(own.id);
    });

    it("files the super-admin's writes to another organisation's resources under that organisation", async () => {
      const own = await ok(await other('POST', '/tokens', { name: 'org2-patched', upstream_url: 'https://api.example.com' }), 201);
      secrets.push(own.token_id);
      await ok(await admin('PATCH', `/tokens/${own.id}`, { name: 'patched by the super-admin' }));
      const deadline = Date.now() + 10_000;
      let entries: AdminAuditEntry[] = [];
      while (entries.length < 2 && Date.now() < deadline) {
        entries = (await other('GET', `/audit/admin?resource_id=${own.id}`)).json;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(entries.map((e) => [e.method, e.actor, e.org_id])).toEqual([
        ['PATCH', 'admin_key', org2.id],
        ['POST', expect.any(String), org2.id],
      ]);
      const superView = (await admin('GET', `/audit/admin?org_id=${org2.id}&resource_id=${own.id}`)).json as AdminAuditEntry[];
      expect(superView.map((e) => e.id)).toEqual(entries.map((e) => e.id));
      expect((await admin('GET', `/audit/admin?org_id=${randomUUID()}`)).status).toBe(404);
    });
  });

  it('never stores a secret: the whole table is scanned for every secret these tests used', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const rows: { row: string }[] = await ds.query(`SELECT to_jsonb(a)::text AS row FROM admin_audit_log a`);
    expect(rows.length).toBeGreaterThan(20);
    const leaks: string[] = [];
    for (const { row } of rows) {
      for (const secret of secrets) if (row.includes(secret)) leaks.push(`${secret.slice(0, 12)}… in ${row.slice(0, 120)}`);
      if (/ailink_v1_[0-9a-f]{8}_tok_/.test(row) || /ak_live_[0-9a-f]{8}_[0-9a-f]{32}/.test(row))
        leaks.push(`secret pattern in ${row.slice(0, 120)}`);
    }
    expect(leaks).toEqual([]);
  });
});
