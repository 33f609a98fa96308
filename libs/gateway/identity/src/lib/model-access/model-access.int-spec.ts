import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import type { Counter } from 'prom-client';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { CoreModule, GatewayError, METRICS_REGISTRY, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { ProxyContext, type ProxyToken } from '@ailink/gateway-proxy';
import { RedisModule } from '@ailink/gateway-redis';
import { VAULT_ENTITIES } from '@ailink/gateway-vault';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { IDENTITY_ENTITIES, IdentityModule } from '../identity.module';
import { TeamsService } from '../teams/teams.service';
import { ModelAccessGroupsService } from './model-access-groups.service';
import { ModelAccessStage } from './model-access.stage';

/** Stand-ins for the tables other features own: only their ids, so that the foreign keys resolve. */
@Entity({ name: 'organizations' })
class OrganizationRow {
  @PrimaryColumn('uuid') id!: string;
}
@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}

interface Instance {
  app: INestApplicationContext;
  stage: ModelAccessStage;
  teams: TeamsService;
  groups: ModelAccessGroupsService;
  dataSource: DataSource;
}

/** One gateway instance (its own L1 and subscriber) on the shared PostgreSQL and Redis. */
async function startInstance(keyPrefix: string): Promise<Instance> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'identity-lib-int-admin-key-0123',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-identity-lib-int-')),
      // Long L1 TTL: whatever a test sees change, it sees through invalidation, not expiry.
      AILINK_L1_TTL_MS: '600000',
    },
    { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
  );
  @Module({
    imports: [
      CoreModule.forRoot(config, pino({ level: 'silent' })),
      DatabaseModule.forRoot({ entities: [...IDENTITY_ENTITIES, ...VAULT_ENTITIES, OrganizationRow, ProjectRow], migrations: [] }),
      RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
      IdentityModule,
    ],
  })
  class InstanceModule {}
  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false });
  await app.init();
  return {
    app,
    stage: app.get(ModelAccessStage),
    teams: app.get(TeamsService),
    groups: app.get(ModelAccessGroupsService),
    dataSource: app.get(DataSource),
  };
}

function queryCount(): number {
  const counter = METRICS_REGISTRY.getSingleMetric('ailink_db_queries_total') as Counter | undefined;
  const values = (counter as unknown as { hashMap?: Record<string, { value: number }> } | undefined)?.hashMap ?? {};
  return Object.values(values).reduce((sum, v) => sum + v.value, 0);
}

async function outcome(stage: ModelAccessStage, ctx: ProxyContext): Promise<string> {
  try {
    await stage.run(ctx);
    return 'allowed';
  } catch (error) {
    if (error instanceof GatewayError) return `${error.code}:${String(error.details?.['source'])}`;
    throw error;
  }
}

/** Polls until `read` answers `expected` (at most 1 s: the spec's cross-instance bound). */
async function within1s(read: () => Promise<string>, expected: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    if ((await read()) === expected) return Date.now() - started;
    if (Date.now() - started > 1000) throw new Error(`still not ${expected} after 1 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('model access stage (PostgreSQL + Redis, two gateway instances)', () => {
  const keyPrefix = `identitylib${randomUUID().slice(0, 8)}:`;
  const orgId = randomUUID();
  const projectId = randomUUID();
  const admin: Principal = { orgId, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'k' };
  let a: Instance;
  let b: Instance;

  function context(
    token: Partial<ProxyToken>,
    body: unknown,
    path = '/v1/chat/completions',
    route: ProxyContext['route'] = 'catch_all',
  ): ProxyContext {
    const ctx = new ProxyContext('req_' + 'a'.repeat(32), 'POST', path, {}, '127.0.0.1', path);
    ctx.route = route;
    ctx.json = body;
    ctx.token = {
      id: 'tok_' + 'b'.repeat(24),
      projectId,
      name: 'agent',
      credentialId: null,
      upstreams: [],
      policyIds: [],
      logLevel: 1,
      circuitBreaker: { enabled: false, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
      tags: {},
      teamId: null,
      ...token,
    };
    return ctx;
  }

  beforeAll(async () => {
    a = await startInstance(keyPrefix);
    b = await startInstance(keyPrefix);
    await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, $2)`, [orgId, `identity-lib ${orgId}`]);
    await a.dataSource.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'identity-lib')`, [projectId, orgId]);
  }, 60_000);

  afterAll(async () => {
    await a?.dataSource.query(`DELETE FROM organizations WHERE id = $1`, [orgId]);
    await a?.app.close();
    await b?.app.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('lets unrestricted tokens and requests without a model through, and skips the service route', async () => {
    expect(await outcome(b.stage, context({}, { model: 'anything' }))).toBe('allowed');
    expect(await outcome(b.stage, context({ allowedModels: [] }, undefined, '/v1/models'))).toBe('allowed');
    expect(await outcome(b.stage, context({ allowedModels: [] }, { model: 'x' }, '/v1/proxy/services/crm/items', 'service'))).toBe(
      'allowed',
    );
    expect(await outcome(b.stage, context({ allowedModels: [] }, { model: 'x' }))).toBe('model_access_denied:token');
  });

  it('answers from memory once warm: no database round trip per request', async () => {
    const group = await a.groups.create(admin, { name: `warm-${randomUUID()}`, models: ['claude-*'], project_id: projectId });
    const team = await a.teams.create(admin, { name: `warm ${randomUUID()}`, allowed_models: ['claude-3*'] });
    const ctx = () =>
      context({ allowedModels: ['gpt-4o*'], allowedModelGroupIds: [group.id], teamId: team.id }, { model: 'claude-3-haiku' });
    expect(await outcome(b.stage, ctx())).toBe('allowed');
    const before = queryCount();
    for (let i = 0; i < 50; i++) expect(await outcome(b.stage, ctx())).toBe('allowed');
    expect(queryCount() - before).toBe(0);
  });

  it('sees a group change made on another instance within 1 s', async () => {
    const group = await a.groups.create(admin, { name: `cross-${randomUUID()}`, models: ['claude-*'], project_id: projectId });
    const ctx = () => context({ allowedModelGroupIds: [group.id] }, { model: 'gpt-4o' });
    expect(await outcome(b.stage, ctx())).toBe('model_access_denied:group');
    await a.groups.update(admin, group.id, { models: ['gpt-4o*'] });
    await within1s(() => outcome(b.stage, ctx()), 'allowed');
    await a.groups.delete(admin, group.id);
    await within1s(() => outcome(b.stage, ctx()), 'model_access_denied:group');
  });

  it('sees a team change made on another instance within 1 s, and ignores a group of another project', async () => {
    const team = await a.teams.create(admin, { name: `cross ${randomUUID()}`, allowed_models: ['gpt-4o*'] });
    const ctx = () => context({ teamId: team.id }, { model: 'o1-mini' });
    expect(await outcome(b.stage, ctx())).toBe('model_access_denied:team');
    await a.teams.update(admin, team.id, { allowed_models: ['o1-*'] });
    await within1s(() => outcome(b.stage, ctx()), 'allowed');
    await a.teams.delete(admin, team.id);
    await within1s(() => outcome(b.stage, ctx()), 'allowed');

    const group = await a.groups.create(admin, { name: `other-${randomUUID()}`, models: ['*'], project_id: projectId });
    expect(await outcome(b.stage, context({ allowedModelGroupIds: [group.id], projectId: randomUUID() }, { model: 'x' }))).toBe(
      'model_access_denied:group',
    );
  });
});
