import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway';

type Json = any;

const KEY = /^ak_live_[0-9a-f]{8}_[0-9a-f]{32}$/;
const DEFAULT_ORG = '00000000-0000-0000-0000-000000000001';

interface Call {
  status: number;
  json: Json;
  text: string;
}

/** Management API keys, organisations and projects against the built gateway (identity.md §1–§3, §8). */
describe('identity: API keys, organisations, projects (built gateway)', () => {
  const gateways: GatewayProcess[] = [];
  /** Every minted key, for the log scan. */
  const minted: string[] = [];

  async function api(gw: GatewayProcess, method: string, path: string, auth: string | { admin: true }, body?: unknown): Promise<Call> {
    const headers: Record<string, string> = typeof auth === 'string' ? { authorization: `Bearer ${auth}` } : { 'x-admin-key': gw.adminKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${gw.baseUrl}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : undefined, text };
  }
  const ADMIN = { admin: true } as const;

  async function mint(gw: GatewayProcess, body: Record<string, unknown>, auth: string | { admin: true } = ADMIN): Promise<Json> {
    const created = await api(gw, 'POST', '/auth/keys', auth, { name: 'e2e', ...body });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(KEY);
    minted.push(created.json.key);
    return created.json;
  }

  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
  });

  describe('external mode (PostgreSQL + Redis)', () => {
    let gw: GatewayProcess;
    const dataDir = mkdtempSync(join(tmpdir(), 'ailink-identity-e2e-'));

    beforeAll(async () => {
      gw = await startGateway({ env: { AILINK_DATA_DIR: dataDir } });
      gateways.push(gw);
    });

    it('mints, lists, uses and revokes an API key; the key is shown once and never logged', async () => {
      const created = await mint(gw, { name: 'ci', role: 'member', scopes: ['tokens:read', 'keys:manage'] });
      expect(created).toMatchObject({ role: 'member', scopes: ['tokens:read', 'keys:manage'], key_prefix: created.key.slice(0, 21) });
      expect(created.key.startsWith(`ak_live_${DEFAULT_ORG.slice(0, 8)}_`)).toBe(true);

      const who = await api(gw, 'GET', '/auth/whoami', created.key);
      expect(who.json).toEqual({
        org_id: DEFAULT_ORG,
        user_id: null,
        role: 'Member',
        scopes: ['tokens:read', 'keys:manage'],
        auth_method: 'api_key',
        key_id: created.id,
      });
      expect((await api(gw, 'GET', '/tokens', created.key)).status).toBe(200);
      const write = await api(gw, 'POST', '/tokens', created.key, { name: 'x', upstream_url: 'https://api.example.com' });
      expect({ status: write.status, code: write.json.error.code }).toEqual({ status: 403, code: 'forbidden' });

      const listed = await api(gw, 'GET', '/auth/keys', ADMIN);
      expect(listed.status).toBe(200);
      const item = listed.json.find((k: Json) => k.id === created.id);
      expect(item).toMatchObject({ org_id: DEFAULT_ORG, name: 'ci', role: 'member', is_active: true, key_prefix: created.key_prefix });
      expect(item.last_used_at).not.toBeNull();
      expect(listed.text).not.toContain(created.key.slice(-32));

      expect((await api(gw, 'DELETE', `/auth/keys/${created.id}`, ADMIN)).status).toBe(204);
      const after = await api(gw, 'GET', '/auth/whoami', created.key);
      expect({ status: after.status, code: after.json.error.code }).toEqual({ status: 401, code: 'unauthorized' });
      expect((await api(gw, 'DELETE', `/auth/keys/${created.id}`, ADMIN)).status).toBe(204);
      expect((await api(gw, 'DELETE', '/auth/keys/00000000-0000-4000-8000-000000000000', ADMIN)).status).toBe(404);
      expect((await api(gw, 'DELETE', '/auth/keys/not-a-uuid', ADMIN)).status).toBe(400);
    });

    it('refuses role escalation, bad scopes and readonly writes', async () => {
      const manager = await mint(gw, { role: 'member', scopes: ['keys:manage', 'audit:read'] });
      const escalate = await api(gw, 'POST', '/auth/keys', manager.key, { name: 'boss', role: 'admin' });
      expect({ status: escalate.status, code: escalate.json.error.code }).toEqual({ status: 403, code: 'role_escalation' });
      const wider = await api(gw, 'POST', '/auth/keys', manager.key, { name: 'wider', role: 'member', scopes: ['tokens:write'] });
      expect({ status: wider.status, code: wider.json.error.code }).toEqual({ status: 403, code: 'role_escalation' });
      const narrower = await mint(gw, { role: 'readonly', scopes: ['audit:read'] }, manager.key);
      expect(narrower.scopes).toEqual(['audit:read']);

      const unknown = await api(gw, 'POST', '/auth/keys', ADMIN, { name: 'bad', role: 'member', scopes: ['tokens:admin'] });
      expect({ status: unknown.status, code: unknown.json.error.code }).toEqual({ status: 422, code: 'validation_error' });
      expect(unknown.json.error.details.errors).toEqual([{ path: '$.scopes[0]', message: 'unknown scope "tokens:admin"' }]);
      const readonlyWrite = await api(gw, 'POST', '/auth/keys', ADMIN, { name: 'bad', role: 'readonly', scopes: ['tokens:write'] });
      expect(readonlyWrite.status).toBe(422);
      expect((await api(gw, 'POST', '/auth/keys', ADMIN, { name: 'bad', role: 'owner' })).status).toBe(422);
      expect((await api(gw, 'POST', '/auth/keys', ADMIN, { role: 'member' })).status).toBe(400);

      const readonly = await mint(gw, { role: 'readonly' });
      expect(readonly.scopes.every((s: string) => s.endsWith(':read'))).toBe(true);
      expect((await api(gw, 'GET', '/projects', readonly.key)).status).toBe(200);
      expect((await api(gw, 'POST', '/projects', readonly.key, { name: 'nope' })).status).toBe(403);
      expect((await api(gw, 'GET', '/auth/keys', readonly.key)).status).toBe(403);
    });

    it('creates organisations (super-admin only) whose keys see only their own organisation', async () => {
      const admin = await mint(gw, { role: 'admin' });
      expect((await api(gw, 'POST', '/organizations', admin.key, { name: 'nope' })).status).toBe(403);
      const org = await api(gw, 'POST', '/organizations', ADMIN, { name: `e2e org ${Date.now()}` });
      expect(org.status).toBe(201);
      expect(org.json).toEqual({ id: expect.any(String), name: expect.stringMatching(/^e2e org/), default_project_id: expect.any(String) });
      expect((await api(gw, 'POST', '/organizations', ADMIN, { name: org.json.name })).status).toBe(409);
      expect((await api(gw, 'GET', '/organizations', ADMIN)).json.map((o: Json) => o.id)).toEqual(
        expect.arrayContaining([DEFAULT_ORG, org.json.id]),
      );

      const theirs = await mint(gw, { role: 'admin', org_id: org.json.id });
      expect(theirs.key.startsWith(`ak_live_${org.json.id.slice(0, 8)}_`)).toBe(true);
      const ownToken = await api(gw, 'POST', '/tokens', theirs.key, { name: 'theirs', upstream_url: 'https://api.example.com' });
      expect(ownToken.status).toBe(201);
      const firstOrgToken = await api(gw, 'POST', '/tokens', ADMIN, { name: 'ours', upstream_url: 'https://api.example.com' });
      expect((await api(gw, 'GET', `/tokens/${firstOrgToken.json.id}`, theirs.key)).status).toBe(404);
      expect((await api(gw, 'DELETE', `/tokens/${firstOrgToken.json.id}`, theirs.key)).status).toBe(404);
      expect((await api(gw, 'GET', `/tokens/${firstOrgToken.json.id}`, ADMIN)).json.is_active).toBe(true);
      expect((await api(gw, 'GET', '/tokens', theirs.key)).json.map((t: Json) => t.project_id)).toEqual([org.json.default_project_id]);
      expect((await api(gw, 'DELETE', `/auth/keys/${admin.id}`, theirs.key)).status).toBe(404);

      // Its only admin key cannot be revoked.
      const last = await api(gw, 'DELETE', `/auth/keys/${theirs.id}`, theirs.key);
      expect({ status: last.status, code: last.json.error.code }).toEqual({ status: 422, code: 'last_admin_key' });
    });

    it('creates, renames, purges and deletes projects', async () => {
      const project = await api(gw, 'POST', '/projects', ADMIN, { name: `e2e ${Date.now()}` });
      expect(project.status).toBe(201);
      expect(Object.keys(project.json).sort()).toEqual(['id', 'name']);
      expect((await api(gw, 'POST', '/projects', ADMIN, { name: project.json.name })).status).toBe(409);
      const renamed = await api(gw, 'PUT', `/projects/${project.json.id}`, ADMIN, { name: `${project.json.name} renamed` });
      expect(renamed.json).toEqual({ id: project.json.id, name: `${project.json.name} renamed` });
      const token = await api(gw, 'POST', '/tokens', ADMIN, {
        name: 't',
        upstream_url: 'https://api.example.com',
        project_id: project.json.id,
      });
      const blocked = await api(gw, 'DELETE', `/projects/${project.json.id}`, ADMIN);
      expect({ status: blocked.status, code: blocked.json.error.code }).toEqual({ status: 409, code: 'conflict' });
      expect(blocked.json.error.message).toContain('1 token');
      expect((await api(gw, 'POST', `/projects/${project.json.id}/purge`, ADMIN)).json).toEqual({
        status: 'purged',
        project_id: project.json.id,
        rows_deleted: 0,
      });
      const member = await mint(gw, { role: 'member', scopes: ['projects:*'] });
      expect((await api(gw, 'DELETE', `/projects/${project.json.id}`, member.key)).status).toBe(403);
      expect((await api(gw, 'DELETE', `/tokens/${token.json.id}`, ADMIN)).status).toBe(204);
      expect((await api(gw, 'DELETE', `/projects/${project.json.id}`, ADMIN)).status).toBe(204);
      expect((await api(gw, 'DELETE', `/projects/${DEFAULT_ORG}`, ADMIN)).status).toBe(400);
    });

    it('persists last use across a restart (buffered, flushed at shutdown) and never logs a key', async () => {
      const key = await mint(gw, { role: 'member', scopes: ['tokens:read'] });
      expect((await api(gw, 'GET', '/tokens', key.key)).status).toBe(200);
      const logs = gw.logs();
      expect(await gw.stop()).toBe(0);
      const next = await startGateway({ env: { AILINK_DATA_DIR: dataDir, AILINK_ADMIN_KEY: gw.adminKey } });
      gateways.push(next);
      const listed = await api(next, 'GET', '/auth/keys', ADMIN);
      const item = listed.json.find((k: Json) => k.id === key.id);
      expect(item.last_used_at).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/));
      expect((await api(next, 'GET', '/auth/whoami', key.key)).status).toBe(200);
      const haystack = logs + next.logs();
      for (const k of minted) expect(haystack).not.toContain(k.slice(-32));
    });
  });

  describe('embedded mode (PGlite + in-process store)', () => {
    it('authenticates API keys and refuses them once revoked', async () => {
      const gw = await startGateway({ mode: 'embedded' });
      gateways.push(gw);
      const created = await mint(gw, { role: 'admin' });
      const spare = await mint(gw, { role: 'admin' });
      expect((await api(gw, 'GET', '/auth/whoami', created.key)).json).toMatchObject({ role: 'Admin', key_id: created.id });
      expect((await api(gw, 'DELETE', `/auth/keys/${created.id}`, spare.key)).status).toBe(204);
      expect((await api(gw, 'GET', '/auth/whoami', created.key)).status).toBe(401);
      const last = await api(gw, 'DELETE', `/auth/keys/${spare.id}`, spare.key);
      expect(last.json.error.code).toBe('last_admin_key');
    });
  });
});
