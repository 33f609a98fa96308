import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { DEFAULT_ORG_ID, DEFAULT_PROJECT_ID } from '@ailink/shared-contracts';
import { loadConfig } from '@ailink/gateway-core';
import { MockUpstream, TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { API_PREFIX, createGateway } from './create-gateway';
import { managementRouteCatalogue, type CatalogueRoute } from './management-route-catalogue';

const OPERATIONS = new Set(['/healthz', '/readyz', '/metrics']);
const ADMIN_KEY = 'org-isolation-admin-key-0123456789';
/** The `X-Session-Id` of the first organisation's proxied request. */
const ISOLATION_SESSION = 'isolation-session';
type Json = any;

/** The first organisation's resources the intruder aims at. */
interface Targets {
  project: string;
  token: string;
  tokenSecret: string;
  credential: string;
  service: string;
  audit: string;
  apiKey: string;
  policy: string;
  pricing: string;
  team: string;
  group: string;
  user: string;
  oidcProvider: string;
  adminAudit: string;
  approval: string;
}

/** One request of the intruder and what must come back. */
interface Probe {
  url: string;
  body?: unknown;
  /** `404`, `403`, or a list response that must not mention any of `absent`. */
  expect: 404 | 403 | { listWithout: string[] } | { status: number };
}

/**
 * How to aim every management route at the first organisation. A route missing here fails the test:
 * add it (by-id routes must answer 404, listings must not show the other organisation's rows).
 */
const PROBES: Record<string, (t: Targets) => Probe[]> = {
  'GET /api/v1/auth/keys': (t) => [
    { url: '/auth/keys', expect: { listWithout: [t.apiKey] } },
    { url: `/auth/keys?org_id=${DEFAULT_ORG_ID}`, expect: 404 },
  ],
  'POST /api/v1/auth/keys': () => [{ url: '/auth/keys', body: { name: 'planted', role: 'admin', org_id: DEFAULT_ORG_ID }, expect: 404 }],
  'DELETE /api/v1/auth/keys/:id': (t) => [{ url: `/auth/keys/${t.apiKey}`, expect: 404 }],
  'GET /api/v1/organizations': () => [{ url: '/organizations', expect: 403 }],
  'POST /api/v1/organizations': () => [{ url: '/organizations', body: { name: `planted ${randomUUID()}` }, expect: 403 }],
  'GET /api/v1/projects': (t) => [{ url: '/projects', expect: { listWithout: [t.project, DEFAULT_PROJECT_ID] } }],
  // Creates a project in the caller's own organisation: checked below to land there.
  'POST /api/v1/projects': () => [{ url: '/projects', body: { name: `own ${randomUUID()}` }, expect: { status: 201 } }],
  'PUT /api/v1/projects/:id': (t) => [
    { url: `/projects/${t.project}`, body: { name: 'hijacked' }, expect: 404 },
    { url: `/projects/${DEFAULT_PROJECT_ID}`, body: { name: 'hijacked' }, expect: 404 },
  ],
  'DELETE /api/v1/projects/:id': (t) => [
    { url: `/projects/${t.project}`, expect: 404 },
    { url: `/projects/${DEFAULT_PROJECT_ID}`, expect: 404 },
  ],
  'POST /api/v1/projects/:id/purge': (t) => [
    { url: `/projects/${t.project}/purge`, expect: 404 },
    { url: `/projects/${DEFAULT_PROJECT_ID}/purge`, expect: 404 },
  ],
  'GET /api/v1/tokens': (t) => [
    { url: `/tokens?project_id=${t.project}`, expect: 404 },
    { url: '/tokens?include_inactive=true', expect: { listWithout: [t.token] } },
  ],
  'POST /api/v1/tokens': (t) => [
    { url: '/tokens', body: { name: 'planted', upstream_url: 'https://api.example.com', project_id: t.project }, expect: 404 },
    // Referencing the other organisation's credential from one's own project: unknown there.
    {
      url: '/tokens',
      body: { name: 'borrower', upstream_url: 'https://api.example.com', credential_id: t.credential },
      expect: { status: 422 },
    },
    {
      url: '/tokens',
      body: { name: 'borrower', upstream_url: 'https://api.example.com', policy_ids: [t.policy] },
      expect: { status: 422 },
    },
  ],
  'GET /api/v1/tokens/:id': (t) => [
    { url: `/tokens/${t.token}`, expect: 404 },
    { url: `/tokens/${t.tokenSecret}`, expect: 404 },
  ],
  'PATCH /api/v1/tokens/:id': (t) => [
    { url: `/tokens/${t.token}`, body: { name: 'hijacked', suspended: true }, expect: 404 },
    { url: `/tokens/${t.tokenSecret}`, body: { upstream_url: 'https://evil.example.com' }, expect: 404 },
  ],
  'PUT /api/v1/tokens/:id': (t) => [{ url: `/tokens/${t.token}`, body: { name: 'hijacked' }, expect: 404 }],
  'DELETE /api/v1/tokens/:id': (t) => [
    { url: `/tokens/${t.token}`, expect: 404 },
    { url: `/tokens/${t.tokenSecret}`, expect: 404 },
  ],
  'GET /api/v1/tokens/:id/circuit-breaker': (t) => [{ url: `/tokens/${t.token}/circuit-breaker`, expect: 404 }],
  'PATCH /api/v1/tokens/:id/circuit-breaker': (t) => [
    { url: `/tokens/${t.token}/circuit-breaker`, body: { enabled: false, failure_threshold: 9 }, expect: 404 },
  ],
  'GET /api/v1/credentials': (t) => [
    { url: `/credentials?project_id=${t.project}`, expect: 404 },
    { url: '/credentials', expect: { listWithout: [t.credential] } },
  ],
  'POST /api/v1/credentials': (t) => [
    { url: '/credentials', body: { name: 'planted', provider: 'openai', secret: 'sk-planted', project_id: t.project }, expect: 404 },
  ],
  'GET /api/v1/credentials/:id': (t) => [{ url: `/credentials/${t.credential}`, expect: 404 }],
  'PATCH /api/v1/credentials/:id': (t) => [{ url: `/credentials/${t.credential}`, body: { name: 'hijacked' }, expect: 404 }],
  'DELETE /api/v1/credentials/:id': (t) => [{ url: `/credentials/${t.credential}`, expect: 404 }],
  'POST /api/v1/credentials/:id/rotate': (t) => [
    { url: `/credentials/${t.credential}/rotate`, body: { secret: 'sk-stolen' }, expect: 404 },
  ],
  'GET /api/v1/services': (t) => [
    { url: `/services?project_id=${t.project}`, expect: 404 },
    { url: '/services', expect: { listWithout: [t.service] } },
  ],
  'POST /api/v1/services': (t) => [
    { url: '/services', body: { name: 'planted', base_url: 'https://crm.example.com', project_id: t.project }, expect: 404 },
  ],
  'GET /api/v1/services/:id': (t) => [{ url: `/services/${t.service}`, expect: 404 }],
  'PATCH /api/v1/services/:id': (t) => [{ url: `/services/${t.service}`, body: { name: 'hijacked' }, expect: 404 }],
  'DELETE /api/v1/services/:id': (t) => [{ url: `/services/${t.service}`, expect: 404 }],
  'GET /api/v1/audit': (t) => [
    { url: `/audit?project_id=${t.project}`, expect: 404 },
    { url: '/audit', expect: { listWithout: [t.audit] } },
  ],
  'GET /api/v1/audit/:id': (t) => [
    { url: `/audit/${t.audit}`, expect: 404 },
    { url: `/audit/${t.audit}?project_id=${t.project}`, expect: 404 },
  ],
  'GET /api/v1/audit/stream': (t) => [{ url: `/audit/stream?project_id=${t.project}`, expect: 404 }],
  'GET /api/v1/audit/admin': (t) => [
    {
      url: '/audit/admin?limit=200',
      expect: { listWithout: [t.adminAudit, t.project, t.token, t.credential, t.service, t.apiKey, t.policy] },
    },
    { url: `/audit/admin?org_id=${DEFAULT_ORG_ID}`, expect: 404 },
    { url: `/audit/admin?project_id=${t.project}`, expect: 404 },
  ],
  'GET /api/v1/audit/admin/:id': (t) => [{ url: `/audit/admin/${t.adminAudit}`, expect: 404 }],
  'GET /api/v1/health/upstreams': (t) => [{ url: '/health/upstreams', expect: { listWithout: [t.token] } }],
  'GET /api/v1/policies': (t) => [
    { url: `/policies?project_id=${t.project}`, expect: 404 },
    { url: '/policies?include_inactive=true', expect: { listWithout: [t.policy] } },
  ],
  'POST /api/v1/policies': (t) => [{ url: '/policies', body: { name: 'planted', rules: [], project_id: t.project }, expect: 404 }],
  // Validation of a document the caller sends: reads nothing of any organisation.
  'POST /api/v1/policies/validate': () => [{ url: '/policies/validate', body: { name: 'check', rules: [] }, expect: { status: 200 } }],
  'GET /api/v1/policies/:id': (t) => [{ url: `/policies/${t.policy}`, expect: 404 }],
  'PATCH /api/v1/policies/:id': (t) => [{ url: `/policies/${t.policy}`, body: { name: 'hijacked', rules: [] }, expect: 404 }],
  'PUT /api/v1/policies/:id': (t) => [{ url: `/policies/${t.policy}`, body: { name: 'hijacked', rules: [] }, expect: 404 }],
  'DELETE /api/v1/policies/:id': (t) => [{ url: `/policies/${t.policy}`, expect: 404 }],
  'GET /api/v1/policies/:id/versions': (t) => [{ url: `/policies/${t.policy}/versions`, expect: 404 }],
  'GET /api/v1/policies/:id/shadow-report': (t) => [{ url: `/policies/${t.policy}/shadow-report`, expect: 404 }],
  'GET /api/v1/tokens/:id/spend': (t) => [
    { url: `/tokens/${t.token}/spend`, expect: 404 },
    { url: `/tokens/${t.tokenSecret}/spend`, expect: 404 },
  ],
  'PUT /api/v1/tokens/:id/spend': (t) => [{ url: `/tokens/${t.token}/spend`, body: { period: 'daily', limit_usd: 1 }, expect: 404 }],
  'DELETE /api/v1/tokens/:id/spend/:period': (t) => [{ url: `/tokens/${t.token}/spend/daily`, expect: 404 }],
  'GET /api/v1/tokens/:id/spend/history': (t) => [{ url: `/tokens/${t.token}/spend/history`, expect: 404 }],
  'GET /api/v1/projects/:id/budget': (t) => [
    { url: `/projects/${t.project}/budget`, expect: 404 },
    { url: `/projects/${DEFAULT_PROJECT_ID}/budget`, expect: 404 },
  ],
  'PUT /api/v1/projects/:id/budget': (t) => [
    { url: `/projects/${t.project}/budget`, body: { warn_threshold_usd: 1, hard_cap_usd: 0, reset_period: 'daily' }, expect: 404 },
  ],
  'DELETE /api/v1/projects/:id/budget': (t) => [{ url: `/projects/${t.project}/budget`, expect: 404 }],
  'GET /api/v1/pricing': (t) => [{ url: '/pricing?include_inactive=true', expect: { listWithout: [t.pricing] } }],
  // Writes an override of the caller's own organisation.
  'PUT /api/v1/pricing': () => [
    { url: '/pricing', body: { provider: 'openai', model_pattern: 'gpt-4o*', input_per_m: 0, output_per_m: 0 }, expect: { status: 200 } },
  ],
  'DELETE /api/v1/pricing/:id': (t) => [{ url: `/pricing/${t.pricing}`, expect: 404 }],
  'GET /api/v1/teams': (t) => [{ url: '/teams', expect: { listWithout: [t.team] } }],
  // Creates a team of the caller's own organisation.
  'POST /api/v1/teams': () => [{ url: '/teams', body: { name: `own ${randomUUID()}` }, expect: { status: 200 } }],
  'PUT /api/v1/teams/:id': (t) => [{ url: `/teams/${t.team}`, body: { name: 'hijacked', allowed_models: ['*'] }, expect: 404 }],
  'DELETE /api/v1/teams/:id': (t) => [{ url: `/teams/${t.team}`, expect: 404 }],
  'GET /api/v1/teams/:id/members': (t) => [{ url: `/teams/${t.team}/members`, expect: 404 }],
  'POST /api/v1/teams/:id/members': (t) => [{ url: `/teams/${t.team}/members`, body: { user_id: t.user }, expect: 404 }],
  'DELETE /api/v1/teams/:id/members/:user_id': (t) => [{ url: `/teams/${t.team}/members/${t.user}`, expect: 404 }],
  'GET /api/v1/teams/:id/spend': (t) => [{ url: `/teams/${t.team}/spend`, expect: 404 }],
  'GET /api/v1/model-access-groups': (t) => [
    { url: `/model-access-groups?project_id=${t.project}`, expect: 404 },
    { url: '/model-access-groups', expect: { listWithout: [t.group] } },
  ],
  'POST /api/v1/model-access-groups': (t) => [
    { url: '/model-access-groups', body: { name: 'planted', models: ['*'], project_id: t.project }, expect: 404 },
  ],
  'PUT /api/v1/model-access-groups/:id': (t) => [{ url: `/model-access-groups/${t.group}`, body: { models: ['*'] }, expect: 404 }],
  'DELETE /api/v1/model-access-groups/:id': (t) => [{ url: `/model-access-groups/${t.group}`, expect: 404 }],
  'GET /api/v1/users': (t) => [{ url: '/users', expect: { listWithout: [t.user] } }],
  // Emails are unique per organisation: the first organisation's user does not block the same email here.
  'POST /api/v1/users': () => [{ url: '/users', body: { email: 'isolated.user@example.com', role: 'member' }, expect: { status: 201 } }],
  'GET /api/v1/oidc/providers': (t) => [{ url: '/oidc/providers', expect: { listWithout: [t.oidcProvider] } }],
  'POST /api/v1/oidc/providers': (t) => [
    // Mapping a group to the first organisation's team: unknown there.
    {
      url: '/oidc/providers',
      body: { ...ISOLATION_PROVIDER, claim_mapping: { group_teams: { staff: t.team } } },
      expect: { status: 422 },
    },
    // Issuers are unique per organisation: the same issuer is the intruder's own provider.
    { url: '/oidc/providers', body: ISOLATION_PROVIDER, expect: { status: 201 } },
  ],
  'GET /api/v1/oidc/providers/:id': (t) => [{ url: `/oidc/providers/${t.oidcProvider}`, expect: 404 }],
  'PATCH /api/v1/oidc/providers/:id': (t) => [{ url: `/oidc/providers/${t.oidcProvider}`, body: { enabled: false }, expect: 404 }],
  'PUT /api/v1/oidc/providers/:id': (t) => [{ url: `/oidc/providers/${t.oidcProvider}`, body: { default_role: 'admin' }, expect: 404 }],
  'DELETE /api/v1/oidc/providers/:id': (t) => [{ url: `/oidc/providers/${t.oidcProvider}`, expect: 404 }],
  // Fetches a discovery document the caller names: reads nothing of any organisation.
  'POST /api/v1/oidc/providers/test': () => [
    { url: '/oidc/providers/test', body: { issuer_url: 'http://127.0.0.1:9' }, expect: { status: 200 } },
  ],
  'GET /api/v1/sessions/:id/entity': (t) => [
    { url: `/sessions/${ISOLATION_SESSION}/entity?project_id=${t.project}`, expect: 404 },
    { url: `/sessions/${ISOLATION_SESSION}/entity`, expect: 404 },
  ],
  'PATCH /api/v1/sessions/:id/status': (t) => [
    { url: `/sessions/${ISOLATION_SESSION}/status?project_id=${t.project}`, body: { status: 'paused' }, expect: 404 },
  ],
  'PUT /api/v1/sessions/:id/spend-cap': (t) => [
    { url: `/sessions/${ISOLATION_SESSION}/spend-cap?project_id=${t.project}`, body: { spend_cap_usd: 0 }, expect: 404 },
  ],
  'GET /api/v1/approvals': (t) => [
    { url: `/approvals?project_id=${t.project}`, expect: 404 },
    { url: `/approvals?token_id=${t.token}`, expect: { listWithout: [t.approval] } },
  ],
  'GET /api/v1/approvals/stream': (t) => [{ url: `/approvals/stream?project_id=${t.project}`, expect: 404 }],
  'GET /api/v1/approvals/:id': (t) => [{ url: `/approvals/${t.approval}`, expect: 404 }],
  'POST /api/v1/approvals/:id/decision': (t) => [{ url: `/approvals/${t.approval}/decision`, body: { decision: 'approve' }, expect: 404 }],
  'POST /api/v1/approvals/:id/decide': (t) => [{ url: `/approvals/${t.approval}/decide`, body: { decision: 'reject' }, expect: 404 }],
};

/** An OIDC provider with an explicit `jwks_uri`, so creating it fetches nothing. */
const ISOLATION_PROVIDER = {
  name: 'Isolation IdP',
  issuer_url: 'https://idp.isolation.example',
  client_id: 'ailink',
  client_secret: 'first-org-client-secret',
  jwks_uri: 'https://idp.isolation.example/jwks',
};

/**
 * Routes that act on the gateway instance rather than on an organisation's data (the KEK is one per
 * deployment): not probed here. `GET /auth/whoami` is checked separately (it describes the caller).
 */
const NOT_ORGANISATION_DATA = new Set([
  'GET /api/v1/system/master-key',
  'POST /api/v1/system/master-key/rotate',
  'GET /api/v1/auth/whoami',
  'GET /api/v1/auth/session',
  'POST /api/v1/auth/logout',
]);

/**
 * A second organisation, created with `POST /organizations`, with an admin API key of its own, aims
 * every management route at the first organisation's resources by id: everything is 404 (or, for
 * listings, absent), and afterwards nothing of the first organisation has changed.
 */
describe('organisation isolation (every management route)', () => {
  const keyPrefix = `orgiso${Date.now()}:`;
  const upstream = new MockUpstream();
  let app: NestFastifyApplication;
  let ds: DataSource;
  let routes: CatalogueRoute[];
  let targets: Targets;
  let org2: { id: string; default_project_id: string };
  let intruderKey: string;

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
    return { status: response.statusCode, json, text: response.body };
  }
  const admin = (method: string, path: string, body?: unknown) => api(method, path, { 'x-admin-key': ADMIN_KEY }, body);
  const intruder = (method: string, path: string, body?: unknown) => api(method, path, { authorization: `Bearer ${intruderKey}` }, body);

  async function created(method: string, path: string, body: unknown): Promise<Json> {
    const response = await admin(method, path, body);
    if (response.status !== 201) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    return response.json;
  }

  /** Everything of the first organisation the probes could touch, as the API and the database show it. */
  async function snapshot(): Promise<unknown> {
    const rows = async (table: string, id: string) =>
      (await ds.query(`SELECT to_jsonb(r) AS row FROM ${table} r WHERE id = $1`, [id])).map((r: { row: unknown }) => r.row);
    return {
      token: (await admin('GET', `/tokens/${targets.token}`)).json,
      breaker: (await admin('GET', `/tokens/${targets.token}/circuit-breaker`)).json,
      credential: (await admin('GET', `/credentials/${targets.credential}`)).json,
      service: (await admin('GET', `/services/${targets.service}`)).json,
      audit: (await admin('GET', `/audit/${targets.audit}`)).json,
      projects: (await admin('GET', '/projects')).json,
      keys: (await admin('GET', '/auth/keys')).json,
      organizations: (await admin('GET', '/organizations')).json,
      rows: {
        token: await rows('tokens', targets.token),
        credential: await rows('credentials', targets.credential),
        service: await rows('services', targets.service),
        project: await rows('projects', targets.project),
        defaultProject: await rows('projects', DEFAULT_PROJECT_ID),
        apiKey: await rows('api_keys', targets.apiKey),
        audit: await rows('audit_logs', targets.audit),
        policy: await rows('policies', targets.policy),
        pricing: await rows('model_pricing', targets.pricing),
        team: await rows('teams', targets.team),
        group: await rows('model_access_groups', targets.group),
        user: await rows('users', targets.user),
        oidcProvider: await rows('oidc_providers', targets.oidcProvider),
        approval: await rows('approval_requests', targets.approval),
        members: (await ds.query(`SELECT user_id, role, source FROM team_members WHERE team_id = $1`, [targets.team])) as unknown[],
      },
      policy: (await admin('GET', `/policies/${targets.policy}`)).json,
      session: await ds.query(`SELECT status, spend_cap_usd FROM sessions WHERE project_id = $1 AND session_id = $2`, [
        targets.project,
        ISOLATION_SESSION,
      ]),
      counts: await ds.query(
        // Counted within this test's own project (and its own key name): other test files may be
        // writing to the default organisation on the same database at the same time.
        `SELECT (SELECT count(*)::int FROM tokens WHERE project_id = $2) AS tokens,
                (SELECT count(*)::int FROM credentials WHERE project_id = $2) AS credentials,
                (SELECT count(*)::int FROM services WHERE project_id = $2) AS services,
                (SELECT count(*)::int FROM projects WHERE org_id = $1 AND id = $2) AS projects,
                (SELECT count(*)::int FROM api_keys WHERE org_id = $1 AND name = 'first-org-automation') AS api_keys,
                (SELECT count(*)::int FROM audit_logs WHERE project_id = $2) AS audit`,
        [DEFAULT_ORG_ID, targets.project],
      ),
    };
  }

  let before: unknown;

  beforeAll(async () => {
    await upstream.start();
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_ADMIN_KEY: ADMIN_KEY,
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-org-isolation-')),
        AILINK_PORTAL_DIR: mkdtempSync(join(tmpdir(), 'ailink-noportal-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    app = await createGateway(config, pino({ level: 'silent' }));
    ds = app.get(DataSource);
    routes = managementRouteCatalogue(app, API_PREFIX, OPERATIONS);

    // The first organisation (the default one): a project holding one of everything.
    const project = await created('POST', '/projects', { name: `isolation ${randomUUID()}` });
    const credential = await created('POST', '/credentials', {
      name: 'openai',
      provider: 'openai',
      secret: 'sk-first-org',
      project_id: project.id,
    });
    const token = await created('POST', '/tokens', {
      name: 'first-org-agent',
      upstream_url: `${upstream.url}/v1`,
      credential_id: credential.id,
      project_id: project.id,
    });
    const service = await created('POST', '/services', { name: 'crm', base_url: `${upstream.url}/crm`, project_id: project.id });
    const apiKey = await created('POST', '/auth/keys', { name: 'first-org-automation', role: 'member', scopes: ['tokens:read'] });
    const policy = await created('POST', '/policies', { name: 'first-org-policy', rules: [], project_id: project.id });
    const pricing = await admin('PUT', '/pricing', {
      provider: 'openai',
      model_pattern: `isolation-${randomUUID()}*`,
      input_per_m: 1,
      output_per_m: 2,
    });
    if (pricing.status !== 200) throw new Error(`PUT /pricing: ${pricing.status} ${pricing.text}`);
    const team = await admin('POST', '/teams', { name: `first-org-team ${randomUUID()}`, allowed_models: ['gpt-4o*'] });
    if (team.status !== 200) throw new Error(`POST /teams: ${team.status} ${team.text}`);
    const group = await admin('POST', '/model-access-groups', { name: 'first-org-group', models: ['gpt-4o*'], project_id: project.id });
    if (group.status !== 200) throw new Error(`POST /model-access-groups: ${group.status} ${group.text}`);
    const user = await created('POST', '/users', { email: 'isolated.user@example.com', role: 'member' });
    const member = await admin('POST', `/teams/${team.json.id}/members`, { user_id: user.id });
    if (member.status !== 200) throw new Error(`POST /teams/{id}/members: ${member.status} ${member.text}`);
    const oidcProvider = await created('POST', '/oidc/providers', ISOLATION_PROVIDER);
    const audit = randomUUID();
    await ds.query(
      `INSERT INTO audit_logs (id, seq, project_id, request_id, token_id, method, path, prev_hash, hash)
       VALUES ($1, 1, $2, 'req_isolation', $3, 'POST', '/v1/chat/completions', $4, $4)`,
      [audit, project.id, token.id, '0'.repeat(64)],
    );
    const [approval] = await ds.query(
      `INSERT INTO approval_requests (token_id, project_id, idempotency_key, policy_version, mode, request_method, request_path,
         body_digest, expires_at)
       VALUES ($1, $2, 'isolation-key', 1, 'async', 'POST', '/v1/chat/completions', $3, now() + interval '1 hour') RETURNING id`,
      [token.id, project.id, 'a'.repeat(64)],
    );
    targets = {
      project: project.id,
      token: token.id,
      tokenSecret: token.token_id,
      credential: credential.id,
      service: service.id,
      audit,
      apiKey: apiKey.id,
      policy: policy.id,
      pricing: pricing.json.id,
      team: team.json.id,
      group: group.json.id,
      user: user.id,
      oidcProvider: oidcProvider.id,
      adminAudit: '',
      approval: approval.id,
    };
    // The admin audit entry of the project's creation is written in the background: wait for it.
    const adminAuditDeadline = Date.now() + 10_000;
    for (;;) {
      const rows: { id: string }[] = await ds.query(
        `SELECT id::text AS id FROM admin_audit_log WHERE resource_kind = 'project' AND resource_id = $1`,
        [project.id],
      );
      if (rows[0]) {
        targets.adminAudit = rows[0].id;
        break;
      }
      if (Date.now() > adminAuditDeadline) throw new Error('the project creation was not in the admin audit trail within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    // One proxied request, so that the instance holds breaker state for the first organisation's token.
    const proxied = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${token.token_id}`, 'content-type': 'application/json', 'x-session-id': ISOLATION_SESSION },
        payload: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect(proxied.statusCode).toBe(200);
    expect(((await admin('GET', '/health/upstreams')).json as { token_id: string }[]).map((h) => h.token_id)).toContain(token.id);
    // Its audit record is written in the background: wait for it, so that the snapshot is stable.
    const deadline = Date.now() + 10_000;
    while (
      (await ds.query(`SELECT 1 FROM audit_logs WHERE project_id = $1 AND request_id <> 'req_isolation'`, [project.id])).length === 0
    ) {
      if (Date.now() > deadline) throw new Error('the proxied request was not audited within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }

    // The second organisation, through the API, and an admin key of its own.
    org2 = await created('POST', '/organizations', { name: `intruders ${randomUUID()}` });
    intruderKey = (await created('POST', '/auth/keys', { name: 'intruder', role: 'admin', org_id: org2.id })).key;
    before = await snapshot();
  }, 60_000);

  afterAll(async () => {
    await ds?.query(`DELETE FROM audit_logs WHERE id = $1`, [targets?.audit]);
    await app?.close();
    await upstream.stop();
    await deleteRedisPrefix(keyPrefix);
  });

  it("the intruder's key works in its own organisation (control)", async () => {
    const who = await intruder('GET', '/auth/whoami');
    expect(who.json).toMatchObject({ org_id: org2.id, role: 'Admin', auth_method: 'api_key' });
    const own = await intruder('POST', '/tokens', { name: 'own-agent', upstream_url: 'https://api.example.com' });
    expect(own.status).toBe(201);
    const listed = await intruder('GET', '/tokens');
    expect(listed.json.map((t: Json) => [t.id, t.project_id])).toEqual([[own.json.id, org2.default_project_id]]);
    expect((await intruder('GET', `/tokens/${own.json.id}`)).status).toBe(200);
    expect((await admin('GET', `/tokens/${own.json.id}`)).status).toBe(200); // the super-admin sees every organisation
    expect((await intruder('GET', '/projects')).json.map((p: Json) => p.id)).toEqual([org2.default_project_id]);
  });

  it('classifies every registered management route', () => {
    const unclassified = routes
      .filter((r) => r.requirement?.kind !== 'public')
      .map((r) => `${r.method} ${r.path}`)
      .filter((key) => !PROBES[key] && !NOT_ORGANISATION_DATA.has(key));
    expect(unclassified).toEqual([]);
  });

  it("answers 404 (or leaves them out of listings) for every route aimed at the first organisation's resources", async () => {
    const failures: string[] = [];
    let probes = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const make = PROBES[key];
      if (!make) continue;
      for (const probe of make(targets)) {
        probes++;
        const response = await intruder(route.method, probe.url, probe.body);
        const where = `${route.method} ${probe.url}`;
        if (probe.expect === 404 || probe.expect === 403) {
          const code = probe.expect === 404 ? 'not_found' : 'forbidden';
          if (response.status !== probe.expect || response.json?.error?.code !== code)
            failures.push(`${where}: ${response.status} ${response.text.slice(0, 200)}`);
        } else if ('status' in probe.expect) {
          if (response.status !== probe.expect.status) failures.push(`${where}: ${response.status} ${response.text.slice(0, 200)}`);
        } else {
          const leaked = probe.expect.listWithout.filter((id) => response.text.includes(id));
          if (response.status !== 200 || leaked.length > 0) failures.push(`${where}: ${response.status}, leaks ${leaked.join(', ')}`);
        }
        for (const secret of [targets.tokenSecret, 'sk-first-org', ISOLATION_PROVIDER.client_secret]) {
          if (response.text.includes(secret)) failures.push(`${where}: response contains a secret`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(probes).toBeGreaterThan(40);
  });

  it('changed nothing of the first organisation', async () => {
    expect(await snapshot()).toEqual(before);
    // The first organisation's token still proxies.
    const proxied = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { authorization: `Bearer ${targets.tokenSecret}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] }),
      });
    expect(proxied.statusCode).toBe(200);
    // Projects the intruder made are its own.
    const projects = (await intruder('GET', '/projects')).json as Json[];
    expect(projects.every((p) => p.org_id === org2.id)).toBe(true);
    expect(projects.length).toBeGreaterThan(1);
  });
});
