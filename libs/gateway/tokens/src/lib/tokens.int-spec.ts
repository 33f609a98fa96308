import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { CoreModule, GatewayError, loadConfig, toErrorResponse, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { ProxyContext, type ProxyRoute } from '@ailink/gateway-proxy';
import { RedisModule } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { kekIdOf } from '@ailink/gateway-vault';

/** Rows sealed under the shared test key, so a gateway booting on the same database meanwhile accepts them. */
const SHARED_KEK_ID = kekIdOf(Buffer.from(TEST_MASTER_KEY, 'hex'));
import { TokenEntity } from './entities/token.entity';
import { ResolveTokenStage } from './resolve-token.stage';
import { sha256Hex } from './token-secret';
import { TokensModule } from './tokens.module';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';

/** Stand-ins for the tables other features own: only their ids, so that the FKs resolve. */
@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}
@Entity({ name: 'credentials' })
class CredentialRow {
  @PrimaryColumn('uuid') id!: string;
}
@Entity({ name: 'teams' })
class TeamRow {
  @PrimaryColumn('uuid') id!: string;
}

interface Instance {
  app: INestApplicationContext;
  tokens: TokensService;
  stage: ResolveTokenStage;
  repository: TokensRepository;
  dataSource: DataSource;
}

/** One gateway instance: its own pools, L1 and subscriber; shared PostgreSQL, Redis and key prefix. */
async function startInstance(keyPrefix: string, env: Record<string, string> = {}): Promise<Instance> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'tokens-int-admin-key-0123456789',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-tokens-int-')),
      // Long L1 TTL: whatever a test sees change, it sees through invalidation, not expiry.
      AILINK_L1_TTL_MS: '600000',
      ...env,
    },
    { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
  );
  @Module({
    imports: [
      CoreModule.forRoot(config, pino({ level: 'silent' })),
      DatabaseModule.forRoot({ entities: [TokenEntity, ProjectRow, CredentialRow, TeamRow], migrations: [] }),
      RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
      TokensModule,
    ],
  })
  class InstanceModule {}
  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false });
  return {
    app,
    tokens: app.get(TokensService),
    stage: app.get(ResolveTokenStage),
    repository: app.get(TokensRepository),
    dataSource: app.get(DataSource),
  };
}

function proxyContext(secret: string | undefined, route: ProxyRoute = 'catch_all'): ProxyContext {
  const headers = secret === undefined ? {} : { authorization: `Bearer ${secret}` };
  const ctx = new ProxyContext('req_' + 'ab'.repeat(16), 'POST', '/v1/chat/completions', headers, '127.0.0.1', '/v1/chat/completions');
  ctx.route = route;
  return ctx;
}

async function rejection(promise: Promise<unknown> | unknown): Promise<GatewayError> {
  const error = await Promise.resolve(promise).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

/** The error body the client would receive, with a fixed request id. */
function wireBody(error: GatewayError): string {
  const response = toErrorResponse(error, 'req_' + '0'.repeat(32));
  return `${response.status} ${JSON.stringify(response.body)}`;
}

const SECRET = /^ailink_v1_[0-9a-f]{8}_tok_[0-9a-f]{32}$/;
const TOKEN_KEYS = [
  'id',
  'masked',
  'project_id',
  'name',
  'credential_id',
  'upstream_url',
  'upstreams',
  'scopes',
  'policy_ids',
  'is_active',
  'expires_at',
  'created_at',
  'updated_at',
  'log_level',
  'circuit_breaker',
  'allowed_models',
  'allowed_model_group_ids',
  'team_id',
  'tags',
  'mcp_allowed_tools',
  'mcp_blocked_tools',
  'suspended_at',
  'suspended_reason',
].sort();

describe('tokens (PostgreSQL + Redis, two gateway instances)', () => {
  const keyPrefix = `tokint${randomUUID().slice(0, 8)}:`;
  let a: Instance;
  let b: Instance;
  const orgA = randomUUID();
  const orgB = randomUUID();
  const projectA = randomUUID();
  const projectA2 = randomUUID();
  const projectB = randomUUID();
  let credentialA: string;
  let credentialA2: string;
  let deletedCredential: string;

  const adminA: Principal = { orgId: orgA, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-a' };
  const adminB: Principal = { orgId: orgB, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-b' };

  async function insertCredential(projectId: string, name: string, active = true): Promise<string> {
    const rows: { id: string }[] = await a.dataSource.query(
      `INSERT INTO credentials (project_id, name, provider, injection_mode, encrypted_dek, dek_nonce, encrypted_secret, secret_nonce, kek_id, is_active)
       VALUES ($1, $2, 'openai', 'bearer', '\\x00', '\\x00', '\\x00', '\\x00', $4, $3) RETURNING id`,
      [projectId, name, active, SHARED_KEK_ID],
    );
    const [row] = rows;
    if (!row) throw new Error('credential insert returned nothing');
    return row.id;
  }

  const create = (body: Record<string, unknown>, principal: Principal = adminA) =>
    a.tokens.create(principal, { name: 'agent', upstream_url: 'https://api.example.com', project_id: projectA, ...body } as never);

  beforeAll(async () => {
    a = await startInstance(keyPrefix);
    b = await startInstance(keyPrefix);
    await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, 'tokens-int A'), ($2, 'tokens-int B')`, [orgA, orgB]);
    await a.dataSource.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $4, 'a1'), ($2, $4, 'a2'), ($3, $5, 'b1')`, [
      projectA,
      projectA2,
      projectB,
      orgA,
      orgB,
    ]);
    credentialA = await insertCredential(projectA, 'openai');
    credentialA2 = await insertCredential(projectA2, 'openai');
    deletedCredential = await insertCredential(projectA, 'gone', false);
  });

  afterAll(async () => {
    await a?.dataSource.query(`DELETE FROM organizations WHERE id = ANY($1::uuid[])`, [[orgA, orgB]]);
    await a?.app.close();
    await b?.app.close();
    await deleteRedisPrefix(keyPrefix);
  });

  describe('management', () => {
    it('mints a token: the secret once, stored only as SHA-256 with last4', async () => {
      const created = await create({ name: 'billing-agent' });
      expect(created).toEqual({
        token_id: expect.stringMatching(SECRET),
        id: expect.stringMatching(/^tok_[0-9a-f]{24}$/),
        masked: `ailink_v1_…${created.token_id.slice(-4)}`,
        name: 'billing-agent',
        message: 'Use: Authorization: Bearer <token_id>',
      });
      expect(created.token_id.startsWith(`ailink_v1_${projectA.slice(0, 8)}_tok_`)).toBe(true);
      expect(created.id).toBe('tok_' + sha256Hex(created.token_id).slice(0, 24));
      const [row] = await a.dataSource.query(`SELECT to_jsonb(t) AS row FROM tokens t WHERE id = $1`, [created.id]);
      expect(row.row.secret_sha256).toBe(sha256Hex(created.token_id));
      expect(row.row.last4).toBe(created.token_id.slice(-4));
      expect(JSON.stringify(row.row)).not.toContain(created.token_id.slice(-32));
      expect(row.row.created_by).toBe('key-a');
    });

    it('returns the Token object by public id and by secret, never the secret', async () => {
      const created = await create({
        credential_id: credentialA,
        upstreams: [
          { url: 'https://a.example.com', weight: 70 },
          { url: 'https://b.example.com', weight: 30, priority: 2, credential_id: credentialA },
        ],
        policy_ids: [],
        log_level_name: 'full',
        log_level: 0,
        tags: { team: 'billing' },
        scopes: ['chat'],
        allowed_models: ['gpt-4o*'],
        mcp_allowed_tools: ['search'],
        expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      });
      const byId = await a.tokens.get(adminA, created.id);
      const bySecret = await a.tokens.get(adminA, created.token_id);
      expect(bySecret).toEqual(byId);
      expect(Object.keys(byId).sort()).toEqual(TOKEN_KEYS);
      expect(byId).toMatchObject({
        id: created.id,
        masked: created.masked,
        project_id: projectA,
        name: 'agent',
        credential_id: credentialA,
        upstream_url: 'https://api.example.com',
        upstreams: [
          { url: 'https://a.example.com', weight: 70, priority: 1, credential_id: null },
          { url: 'https://b.example.com', weight: 30, priority: 2, credential_id: credentialA },
        ],
        scopes: ['chat'],
        policy_ids: [],
        is_active: true,
        log_level: 2,
        circuit_breaker: null,
        allowed_models: ['gpt-4o*'],
        allowed_model_group_ids: [],
        team_id: null,
        tags: { team: 'billing' },
        mcp_allowed_tools: ['search'],
        mcp_blocked_tools: null,
        suspended_at: null,
        suspended_reason: null,
      });
      expect(byId.expires_at).toMatch(/Z$/);
      expect(JSON.stringify(byId)).not.toContain(created.token_id);
      await expect(
        a.tokens.get(adminA, created.token_id.slice(0, -1) + (created.token_id.endsWith('0') ? '1' : '0')),
      ).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(a.tokens.get(adminA, 'tok_' + '0'.repeat(24))).rejects.toMatchObject({ code: 'not_found' });
      await expect(a.tokens.get(adminA, 'not-a-token')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('lists newest first with project, team, include_inactive, limit and offset filters', async () => {
      const first = await create({ name: 'list-1', project_id: projectA2 });
      const second = await create({ name: 'list-2', project_id: projectA2 });
      const third = await create({ name: 'list-3', project_id: projectA2 });
      await a.tokens.revoke(adminA, second.id);
      const active = await a.tokens.list(adminA, { project_id: projectA2 });
      expect(active.map((t) => t.id)).toEqual([third.id, first.id]);
      const all = await a.tokens.list(adminA, { project_id: projectA2, include_inactive: true });
      expect(all.map((t) => t.id)).toEqual([third.id, second.id, first.id]);
      expect(
        (await a.tokens.list(adminA, { project_id: projectA2, include_inactive: true, limit: 1, offset: 1 })).map((t) => t.id),
      ).toEqual([second.id]);
      expect(await a.tokens.list(adminA, { project_id: projectA2, team_id: randomUUID() })).toEqual([]);
      const [{ id: team }] = await a.dataSource.query(`INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING id`, [
        orgA,
        `list-team ${randomUUID()}`,
      ]);
      await a.dataSource.query(`UPDATE tokens SET team_id = $1 WHERE id = $2`, [team, first.id]);
      expect((await a.tokens.list(adminA, { project_id: projectA2, team_id: team })).map((t) => t.id)).toEqual([first.id]);
      expect(JSON.stringify(all)).not.toContain(first.token_id);
    });

    it('defaults to the default project, which another organisation cannot see', async () => {
      const superadmin: Principal = {
        orgId: '00000000-0000-0000-0000-000000000001',
        userId: null,
        role: 'superadmin',
        scopes: ['*'],
        authMethod: 'admin_key',
      };
      const created = await a.tokens.create(superadmin, { name: 'default-project', upstream_url: 'https://x.example' } as never);
      const tokens = await a.tokens.list(superadmin, {});
      expect(tokens.map((t) => t.id)).toContain(created.id);
      expect(tokens.every((t) => t.project_id === '00000000-0000-0000-0000-000000000001')).toBe(true);
      await expect(a.tokens.list(adminA, {})).rejects.toMatchObject({ code: 'not_found' });
      await expect(a.tokens.get(adminA, created.id)).rejects.toMatchObject({ code: 'not_found' });
      await a.dataSource.query(`DELETE FROM tokens WHERE id = $1`, [created.id]);
    });

    it('updates partially (PATCH/PUT): explicit null clears, suspended sets and lifts the suspension', async () => {
      const created = await create({
        credential_id: credentialA,
        allowed_models: ['a'],
        tags: { x: 'y' },
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      });
      const renamed = await a.tokens.update(adminA, created.id, { name: 'renamed' });
      expect(renamed).toMatchObject({ name: 'renamed', credential_id: credentialA, allowed_models: ['a'], tags: { x: 'y' } });
      const cleared = await a.tokens.update(adminA, created.token_id, {
        credential_id: null,
        allowed_models: null,
        expires_at: null,
        tags: null,
      });
      expect(cleared).toMatchObject({ name: 'renamed', credential_id: null, allowed_models: null, expires_at: null, tags: {} });
      const suspended = await a.tokens.update(adminA, created.id, { suspended: true, suspended_reason: 'investigating' });
      expect(suspended.suspended_at).toMatch(/Z$/);
      expect(suspended.suspended_reason).toBe('investigating');
      const lifted = await a.tokens.update(adminA, created.id, { suspended: false });
      expect(lifted).toMatchObject({ suspended_at: null, suspended_reason: null });
      const withFallback = await a.tokens.update(adminA, created.id, { fallback_url: 'https://backup.example.com', log_level: 0 });
      expect(withFallback.upstreams).toEqual([
        { url: 'https://api.example.com', weight: 100, priority: 1, credential_id: null },
        { url: 'https://backup.example.com', weight: 100, priority: 2, credential_id: null },
      ]);
      expect(withFallback.log_level).toBe(0);
      expect(Date.parse(withFallback.updated_at)).toBeGreaterThanOrEqual(Date.parse(renamed.updated_at));
      await expect(a.tokens.update(adminA, created.id, { name: null } as never)).rejects.toMatchObject({ code: 'validation_error' });
    });

    it('refuses bad upstreams, unknown references and past expiry with 422, non-http URLs with 400', async () => {
      const problems = async (body: Record<string, unknown>) => {
        const error = await rejection(create(body));
        return { code: error.code, paths: ((error.details?.['errors'] ?? []) as { path: string }[]).map((e) => e.path) };
      };
      expect(await problems({ upstreams: [{ url: 'https://a.example', weight: 0 }] })).toEqual({
        code: 'validation_error',
        paths: ['$.upstreams[0].weight'],
      });
      expect(await problems({ upstreams: [{ url: 'https://a.example' }, { url: 'https://a.example/' }] })).toEqual({
        code: 'validation_error',
        paths: ['$.upstreams[1].url'],
      });
      expect(await problems({ fallback_url: 'https://api.example.com/' })).toEqual({ code: 'validation_error', paths: ['$.fallback_url'] });
      expect(await problems({ credential_id: randomUUID() })).toEqual({ code: 'validation_error', paths: ['$.credential_id'] });
      expect(await problems({ credential_id: credentialA2 })).toEqual({ code: 'validation_error', paths: ['$.credential_id'] });
      expect(await problems({ credential_id: deletedCredential })).toEqual({ code: 'validation_error', paths: ['$.credential_id'] });
      expect(await problems({ upstreams: [{ url: 'https://a.example', credential_id: randomUUID() }] })).toEqual({
        code: 'validation_error',
        paths: ['$.upstreams[0].credential_id'],
      });
      expect(await problems({ expires_at: new Date(Date.now() - 1000).toISOString() })).toEqual({
        code: 'validation_error',
        paths: ['$.expires_at'],
      });
      expect(await problems({ upstream_url: 'http://169.254.169.254/latest' })).toEqual({
        code: 'validation_error',
        paths: ['$.upstream_url'],
      });
      expect(await problems({ upstream_url: 'ftp://files.example.com' })).toEqual({ code: 'bad_request', paths: ['$.upstream_url'] });
      expect(await problems({ fallback_url: 'not a url' })).toEqual({ code: 'bad_request', paths: ['$.fallback_url'] });
      expect((await problems({ circuit_breaker: { failure_threshold: 0 } })).code).toBe('invalid_config');
      // Operator configuration may be private (self-hosted models).
      await expect(create({ upstream_url: 'http://10.0.0.5:8000/v1', fallback_url: 'http://127.0.0.1:9000' })).resolves.toMatchObject({
        id: expect.any(String),
      });
    });

    it('revokes idempotently; unknown ids are 404', async () => {
      const created = await create({});
      await a.tokens.revoke(adminA, created.token_id);
      await a.tokens.revoke(adminA, created.id);
      expect((await a.tokens.get(adminA, created.id)).is_active).toBe(false);
      await expect(a.tokens.revoke(adminA, 'tok_' + 'f'.repeat(24))).rejects.toMatchObject({ code: 'not_found' });
    });

    it('stores circuit-breaker settings: defaults, camelCase aliases, merge, 422 invalid_config', async () => {
      const created = await create({});
      expect(await a.tokens.getCircuitBreaker(adminA, created.id)).toEqual({
        enabled: true,
        failure_threshold: 3,
        recovery_cooldown_secs: 30,
        half_open_max_requests: 1,
      });
      expect(
        await a.tokens.updateCircuitBreaker(adminA, created.token_id, { failureThreshold: 5, recoveryCooldownSecs: 10, other: 1 }),
      ).toEqual({
        enabled: true,
        failure_threshold: 5,
        recovery_cooldown_secs: 10,
        half_open_max_requests: 1,
      });
      expect(await a.tokens.updateCircuitBreaker(adminA, created.id, { enabled: false, failure_rate_threshold: 0.5 })).toEqual({
        enabled: false,
        failure_threshold: 5,
        recovery_cooldown_secs: 10,
        half_open_max_requests: 1,
        failure_rate_threshold: 0.5,
      });
      expect((await a.tokens.get(adminA, created.id)).circuit_breaker).toMatchObject({ failure_threshold: 5, enabled: false });
      const error = await rejection(a.tokens.updateCircuitBreaker(adminA, created.id, { half_open_max_requests: 0 }));
      expect(error.code).toBe('invalid_config');
      expect(await a.tokens.getCircuitBreaker(adminA, created.id)).toMatchObject({ half_open_max_requests: 1 });
      // The proxy sees the new settings (with min_sample_size default).
      const ctx = proxyContext(created.token_id);
      await b.stage.run(ctx);
      expect(ctx.token?.circuitBreaker).toEqual({
        enabled: false,
        failure_threshold: 5,
        recovery_cooldown_secs: 10,
        half_open_max_requests: 1,
        failure_rate_threshold: 0.5,
        min_sample_size: 10,
      });
    });

    it("answers 404 for another organisation's tokens and projects", async () => {
      const created = await create({});
      for (const id of [created.id, created.token_id]) {
        await expect(a.tokens.get(adminB, id)).rejects.toMatchObject({ code: 'not_found' });
        await expect(a.tokens.update(adminB, id, { name: 'x' })).rejects.toMatchObject({ code: 'not_found' });
        await expect(a.tokens.revoke(adminB, id)).rejects.toMatchObject({ code: 'not_found' });
        await expect(a.tokens.getCircuitBreaker(adminB, id)).rejects.toMatchObject({ code: 'not_found' });
      }
      await expect(a.tokens.list(adminB, { project_id: projectA })).rejects.toMatchObject({ code: 'not_found' });
      await expect(create({}, adminB)).rejects.toMatchObject({ code: 'not_found' });
      expect((await a.tokens.get(adminA, created.id)).is_active).toBe(true);
      const own = await a.tokens.create(adminB, { name: 'b', upstream_url: 'https://x.example', project_id: projectB } as never);
      await expect(a.tokens.get(adminA, own.id)).rejects.toMatchObject({ code: 'not_found' });
    });
  });

  describe('ResolveTokenStage', () => {
    it('resolves a live token on another instance, with upstreams and breaker defaults', async () => {
      const created = await create({
        credential_id: credentialA,
        upstreams: [{ url: 'https://one.example', weight: 3 }],
        fallback_url: 'https://two.example',
      });
      const ctx = proxyContext(created.token_id);
      await b.stage.run(ctx);
      expect(ctx.tokenCarrier).toBe('authorization');
      expect(ctx.token).toMatchObject({
        id: created.id,
        projectId: projectA,
        credentialId: credentialA,
        logLevel: 1,
        upstreams: [
          { url: 'https://one.example', weight: 3, priority: 1 },
          { url: 'https://two.example', weight: 100, priority: 2 },
        ],
        circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
      });
    });

    it('rejects a token revoked on instance A on instance B within 1 s (B had it cached)', async () => {
      const created = await create({});
      await b.stage.run(proxyContext(created.token_id)); // warm B's L1 (and L2)
      await b.stage.run(proxyContext(created.token_id));
      const revokedAt = Date.now();
      await a.tokens.revoke(adminA, created.id);
      for (;;) {
        const outcome = await Promise.resolve(b.stage.run(proxyContext(created.token_id))).then(
          () => 'ok',
          (e: GatewayError) => e.code,
        );
        if (outcome === 'token_not_found') break;
        if (Date.now() - revokedAt > 1000) throw new Error('instance B still accepts the revoked token after 1 s');
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(Date.now() - revokedAt).toBeLessThan(1000);
      // and A, which wrote, refuses it at once
      expect((await rejection(a.stage.run(proxyContext(created.token_id)))).code).toBe('token_not_found');
    });

    it('applies suspension (403) and its lifting across instances', async () => {
      const created = await create({});
      await b.stage.run(proxyContext(created.token_id));
      await a.tokens.update(adminA, created.id, { suspended: true });
      await waitUntil(
        async () =>
          (await Promise.resolve(b.stage.run(proxyContext(created.token_id))).then(
            () => 'ok',
            (e: GatewayError) => e.code,
          )) === 'token_suspended',
      );
      await a.tokens.update(adminA, created.id, { suspended: false });
      await waitUntil(
        async () =>
          (await Promise.resolve(b.stage.run(proxyContext(created.token_id))).then(
            () => 'ok',
            () => 'err',
          )) === 'ok',
      );
    });

    it('stops accepting a token when it expires, even from the cache', async () => {
      const created = await create({ expires_at: new Date(Date.now() + 1500).toISOString() });
      await b.stage.run(proxyContext(created.token_id));
      await new Promise((r) => setTimeout(r, 1600));
      expect((await rejection(b.stage.run(proxyContext(created.token_id)))).code).toBe('token_not_found');
    });

    it('answers byte-identical 401 bodies for missing, malformed, tok_ ids, unknown, revoked and expired tokens', async () => {
      const revoked = await create({});
      await a.tokens.revoke(adminA, revoked.id);
      const expired = await create({ expires_at: new Date(Date.now() + 300).toISOString() });
      await new Promise((r) => setTimeout(r, 400));
      const presented = [
        undefined,
        'sk-not-ours',
        revoked.id,
        `ailink_v1_${projectA.slice(0, 8)}_tok_${'0'.repeat(32)}`,
        revoked.token_id,
        expired.token_id,
      ];
      const bodies = new Set<string>();
      for (const secret of presented) {
        const error = await rejection(b.stage.run(proxyContext(secret)));
        bodies.add(wireBody(error));
      }
      expect([...bodies]).toEqual([
        `401 {"error":{"code":"token_not_found","message":"Invalid or expired virtual token","type":"authentication_error","request_id":"req_${'0'.repeat(32)}"}}`,
      ]);
    });

    it('caches unknown tokens negatively in L1 and L2: a spray of 100 random tokens costs one DB lookup each, once', async () => {
      const lookupsA = jest.spyOn(a.repository, 'findById');
      const lookupsB = jest.spyOn(b.repository, 'findById');
      try {
        const spray = Array.from({ length: 100 }, () => `ailink_v1_deadbeef_tok_${randomUUID().replace(/-/g, '')}`);
        const fire = (instance: Instance) => Promise.all(spray.map((secret) => rejection(instance.stage.run(proxyContext(secret)))));
        await fire(a);
        expect(lookupsA).toHaveBeenCalledTimes(100);
        // Repeats on the same instance: L1. On the other instance: L2 negative entries. No DB query.
        await fire(a);
        await fire(a);
        await fire(b);
        await fire(b);
        expect(lookupsA).toHaveBeenCalledTimes(100);
        expect(lookupsB).toHaveBeenCalledTimes(0);
        // One unknown token hammered concurrently on a cold instance: one lookup (single flight).
        const lone = `ailink_v1_deadbeef_tok_${randomUUID().replace(/-/g, '')}`;
        await Promise.all(Array.from({ length: 100 }, () => rejection(b.stage.run(proxyContext(lone)))));
        expect(lookupsB).toHaveBeenCalledTimes(1);
      } finally {
        lookupsA.mockRestore();
        lookupsB.mockRestore();
      }
    });
  });
});

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
