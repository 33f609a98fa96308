import { randomBytes } from 'node:crypto';
import { startGateway, type GatewayProcess } from '../support/gateway';

type Json = any;

const SECRET = /^ailink_v1_00000000_tok_[0-9a-f]{32}$/;
const PUBLIC_ID = /^tok_[0-9a-f]{24}$/;
const REQUEST_ID = /^req_[0-9a-f]{32}$/;
const TOKEN_KEYS = [
  'allowed_model_group_ids',
  'allowed_models',
  'circuit_breaker',
  'created_at',
  'credential_id',
  'expires_at',
  'id',
  'is_active',
  'log_level',
  'masked',
  'mcp_allowed_tools',
  'mcp_blocked_tools',
  'name',
  'policy_ids',
  'project_id',
  'scopes',
  'suspended_at',
  'suspended_reason',
  'tags',
  'team_id',
  'updated_at',
  'upstream_url',
  'upstreams',
];

/** The Management API tokens and services routes against the built gateway (PostgreSQL + Redis). */
describe('tokens and services management API (built gateway)', () => {
  let gw: GatewayProcess;
  /** Every response body the client saw, for the secret scan. */
  const seen: string[] = [];

  async function api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json; text: string; headers: Headers }> {
    const r = await fetch(`${gw.baseUrl}/api/v1${path}`, {
      method,
      headers: { 'x-admin-key': gw.adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    seen.push(text);
    return { status: r.status, json: text ? JSON.parse(text) : undefined, text, headers: r.headers };
  }

  function expectError(response: { status: number; json: Json }, status: number, code: string): void {
    expect({ status: response.status, code: response.json?.error?.code }).toEqual({ status, code });
    expect(response.json.error.request_id).toMatch(REQUEST_ID);
  }

  beforeAll(async () => {
    gw = await startGateway({ env: { AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' } });
  });

  afterAll(async () => {
    await gw?.stop();
  });

  describe('tokens', () => {
    let secret: string;
    let id: string;
    let logsBefore: number;

    beforeAll(async () => {
      logsBefore = gw.logs().length;
      const created = await api('POST', '/tokens', {
        name: 'e2e-agent',
        upstream_url: 'http://127.0.0.1:9/v1',
        fallback_url: 'https://backup.example.com/v1',
        log_level_name: 'metadata',
        tags: { team: 'e2e' },
        surprise: 'dropped',
      });
      expect(created.status).toBe(201);
      secret = created.json.token_id;
      id = created.json.id;
    });

    it('creates: 201 {token_id (the secret, once), id, masked, name, message}', async () => {
      expect(secret).toMatch(SECRET);
      expect(id).toMatch(PUBLIC_ID);
      const created = JSON.parse(seen.find((t) => t.includes(secret)) ?? '{}');
      expect(created).toEqual({
        token_id: secret,
        id,
        masked: `ailink_v1_…${secret.slice(-4)}`,
        name: 'e2e-agent',
        message: 'Use: Authorization: Bearer <token_id>',
      });
    });

    it('gets the Token object by public id and by secret, without the secret', async () => {
      const byId = await api('GET', `/tokens/${id}`);
      expect(byId.status).toBe(200);
      expect(Object.keys(byId.json).sort()).toEqual(TOKEN_KEYS);
      expect(byId.json).toMatchObject({
        id,
        masked: `ailink_v1_…${secret.slice(-4)}`,
        project_id: '00000000-0000-0000-0000-000000000001',
        name: 'e2e-agent',
        upstream_url: 'http://127.0.0.1:9/v1',
        upstreams: [
          { url: 'http://127.0.0.1:9/v1', weight: 100, priority: 1, credential_id: null },
          { url: 'https://backup.example.com/v1', weight: 100, priority: 2, credential_id: null },
        ],
        log_level: 0,
        tags: { team: 'e2e' },
        is_active: true,
        circuit_breaker: null,
        suspended_at: null,
      });
      expect(byId.text).not.toContain(secret);
      const bySecret = await api('GET', `/tokens/${secret}`);
      expect(bySecret.status).toBe(200);
      expect(bySecret.json).toEqual(byId.json);
      expect(bySecret.text).not.toContain(secret);
    });

    it('lists newest first, without secrets, and hides revoked tokens unless include_inactive', async () => {
      const second = await api('POST', '/tokens', { name: 'e2e-second', upstream_url: 'https://api.example.com' });
      const list = await api('GET', '/tokens');
      expect(list.status).toBe(200);
      expect(Array.isArray(list.json)).toBe(true);
      const ids = list.json.map((t: Json) => t.id);
      expect(ids.indexOf(second.json.id)).toBeLessThan(ids.indexOf(id));
      expect(list.text).not.toContain(secret);
      expect(list.text).not.toContain(second.json.token_id);
      expect(list.text).not.toMatch(/ailink_v1_[0-9a-f]{8}_tok_/);
      await api('DELETE', `/tokens/${second.json.id}`);
      expect((await api('GET', '/tokens')).json.map((t: Json) => t.id)).not.toContain(second.json.id);
      expect((await api('GET', '/tokens?include_inactive=true')).json.map((t: Json) => t.id)).toContain(second.json.id);
      expect((await api('GET', '/tokens?include_inactive=1&limit=1')).json).toHaveLength(1);
      expectError(await api('GET', '/tokens?limit=1001'), 422, 'validation_error');
      expectError(await api('GET', '/tokens?include_inactive=maybe'), 400, 'bad_request');
    });

    it('updates partially with PATCH and PUT (secret as id works), explicit null clears, suspended toggles', async () => {
      const patched = await api('PATCH', `/tokens/${secret}`, { name: 'renamed', allowed_models: ['gpt-4o-mini'], suspended: true });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ id, name: 'renamed', allowed_models: ['gpt-4o-mini'], tags: { team: 'e2e' } });
      expect(patched.json.suspended_at).toMatch(/Z$/);
      expect(patched.text).not.toContain(secret);
      const put = await api('PUT', `/tokens/${id}`, { allowed_models: null, suspended: false, log_level: 2 });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({ name: 'renamed', allowed_models: null, suspended_at: null, suspended_reason: null, log_level: 2 });
    });

    it('manages the circuit breaker: defaults, camelCase aliases, 422 invalid_config', async () => {
      const defaults = await api('GET', `/tokens/${id}/circuit-breaker`);
      expect(defaults.status).toBe(200);
      expect(defaults.json).toEqual({ enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1 });
      const patched = await api('PATCH', `/tokens/${secret}/circuit-breaker`, {
        failureThreshold: 5,
        recovery_cooldown_secs: 10,
        junk: true,
      });
      expect(patched.status).toBe(200);
      expect(patched.json).toEqual({ enabled: true, failure_threshold: 5, recovery_cooldown_secs: 10, half_open_max_requests: 1 });
      expect((await api('GET', `/tokens/${id}/circuit-breaker`)).json).toEqual(patched.json);
      const invalid = await api('PATCH', `/tokens/${id}/circuit-breaker`, { half_open_max_requests: 0 });
      expectError(invalid, 422, 'invalid_config');
      expect(invalid.json.error.type).toBe('invalid_request_error');
      expectError(await api('PATCH', `/tokens/${id}/circuit-breaker`, { failure_rate_threshold: 1.5 }), 422, 'invalid_config');
      expect((await api('GET', `/tokens/${id}`)).json.circuit_breaker).toEqual(patched.json);
    });

    it('validates: 400 for missing fields and non-http URLs, 422 for rule violations', async () => {
      expectError(await api('POST', '/tokens', { name: 'x' }), 400, 'bad_request');
      expectError(await api('POST', '/tokens', { name: 'x', upstream_url: 'ftp://x.example.com' }), 400, 'bad_request');
      const weights = await api('POST', '/tokens', {
        name: 'x',
        upstream_url: 'https://a.example',
        upstreams: [{ url: 'https://a.example', weight: 0 }],
      });
      expectError(weights, 422, 'validation_error');
      expect(weights.json.error.details.errors).toEqual([{ path: '$.upstreams[0].weight', message: expect.any(String) }]);
      expectError(
        await api('POST', '/tokens', {
          name: 'x',
          upstream_url: 'https://a.example',
          upstreams: [{ url: 'https://b.example' }, { url: 'https://b.example' }],
        }),
        422,
        'validation_error',
      );
      expectError(
        await api('POST', '/tokens', {
          name: 'x',
          upstream_url: 'https://a.example',
          credential_id: '7f1f7c1e-0000-4000-8000-000000000000',
        }),
        422,
        'validation_error',
      );
      expectError(
        await api('POST', '/tokens', { name: 'x', upstream_url: 'https://a.example', expires_at: '2001-01-01T00:00:00Z' }),
        422,
        'validation_error',
      );
      expectError(await api('POST', '/tokens', { name: 'x', upstream_url: 'https://a.example', log_level: 7 }), 422, 'validation_error');
      expectError(
        await api('POST', '/tokens', { name: 'x', upstream_url: 'https://a.example', project_id: '7f1f7c1e-0000-4000-8000-000000000000' }),
        404,
        'not_found',
      );
    });

    it('answers 404 for unknown ids (never UUID-validated) and revokes idempotently with 204', async () => {
      for (const unknown of [
        'tok_000000000000000000000000',
        'ailink_v1_00000000_tok_' + '0'.repeat(32),
        'whatever',
        '7f1f7c1e-0000-4000-8000-000000000000',
      ]) {
        expectError(await api('GET', `/tokens/${unknown}`), 404, 'not_found');
        expectError(await api('DELETE', `/tokens/${unknown}`), 404, 'not_found');
      }
      const first = await api('DELETE', `/tokens/${secret}`);
      expect(first.status).toBe(204);
      expect(first.text).toBe('');
      expect((await api('DELETE', `/tokens/${id}`)).status).toBe(204);
      expect((await api('GET', `/tokens/${id}`)).json.is_active).toBe(false);
    });

    it('requires tokens:read / tokens:write (401 without credentials)', async () => {
      const r = await fetch(`${gw.baseUrl}/api/v1/tokens`);
      expect(r.status).toBe(401);
      const w = await fetch(`${gw.baseUrl}/api/v1/tokens/${id}`, { method: 'DELETE' });
      expect(w.status).toBe(401);
    });

    it('never shows the secret after creation: not in later responses, not in the logs', async () => {
      const created = seen.findIndex((t) => t.includes(secret));
      expect(seen.slice(created + 1).filter((t) => t.includes(secret))).toEqual([]);
      await new Promise((r) => setTimeout(r, 200));
      const logs = gw.logs().slice(logsBefore);
      expect(logs).toContain(id); // the access log shows paths with the secret replaced by the public id
      expect(logs).not.toContain(secret);
      expect(gw.logs()).not.toMatch(/ailink_v1_[0-9a-f]{8}_tok_[0-9a-f]{32}/);
    });
  });

  describe('services', () => {
    const suffix = randomBytes(4).toString('hex');
    it('creates, lists, gets, patches and deletes a service; 409 on a name clash', async () => {
      const created = await api('POST', '/services', {
        name: `e2e-crm-${suffix}`,
        base_url: 'http://127.0.0.1:9999/api',
        description: 'local',
      });
      expect(created.status).toBe(201);
      expect(created.json).toEqual({
        id: expect.any(String),
        project_id: '00000000-0000-0000-0000-000000000001',
        name: `e2e-crm-${suffix}`,
        description: 'local',
        base_url: 'http://127.0.0.1:9999/api',
        service_type: 'generic',
        credential_id: null,
        is_active: true,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      expectError(await api('POST', '/services', { name: `e2e-crm-${suffix}`, base_url: 'https://crm.example.com' }), 409, 'conflict');
      expect((await api('GET', '/services')).json.map((s: Json) => s.id)).toContain(created.json.id);
      expect((await api('GET', `/services/${created.json.id}`)).json).toEqual(created.json);
      const patched = await api('PATCH', `/services/${created.json.id}`, { description: null, service_type: 'rest' });
      expect(patched.status).toBe(200);
      expect(patched.json).toMatchObject({ description: null, service_type: 'rest' });
      const deleted = await api('DELETE', `/services/${created.json.id}`);
      expect(deleted.status).toBe(200);
      expect(deleted.json).toEqual({ deleted: true });
      expectError(await api('GET', `/services/${created.json.id}`), 404, 'not_found');
      expectError(await api('GET', '/services/not-a-uuid'), 400, 'bad_request');
    });

    it('answers 400 for bad URLs and 422 for SSRF targets not in AILINK_ALLOWED_PRIVATE_HOSTS', async () => {
      expectError(await api('POST', '/services', { name: 'bad', base_url: 'not a url' }), 400, 'bad_request');
      expectError(await api('POST', '/services', { name: 'bad', base_url: 'ftp://x.example.com' }), 400, 'bad_request');
      for (const base_url of [
        'http://169.254.169.254/latest',
        'http://10.1.2.3/',
        'http://[::1]:8080/',
        'http://[::ffff:127.0.0.2]/',
        'http://metadata.google.internal/',
      ]) {
        const refused = await api('POST', '/services', { name: 'ssrf', base_url });
        expectError(refused, 422, 'validation_error');
        expect(refused.json.error.details.errors[0].path).toBe('$.base_url');
      }
      const ok = await api('POST', '/services', { name: `e2e-ok-${suffix}`, base_url: 'https://example.com' });
      expect(ok.status).toBe(201);
      expectError(await api('PATCH', `/services/${ok.json.id}`, { base_url: 'http://192.168.0.10/' }), 422, 'validation_error');
    });
  });
});
