import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { CoreModule, ErrorCode, GatewayError, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { ProxyContext } from '@ailink/gateway-proxy';
import { KeyValueStore, RedisModule, resourceKey, resourceVersionKey } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { PolicyVersionEntity } from './entities/policy-version.entity';
import { PolicyEntity } from './entities/policy.entity';
import { PoliciesModule } from './policies.module';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';
import { PolicyCache } from './policy-cache';
import { PolicyStage } from './policy.stage';

/** Stand-in for the table another feature owns: only its id, so that the FK resolves. */
@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}

interface Instance {
  app: INestApplicationContext;
  policies: PoliciesService;
  stage: PolicyStage;
  repository: PoliciesRepository;
  store: KeyValueStore;
  dataSource: DataSource;
}

async function startInstance(keyPrefix: string): Promise<Instance> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'policies-int-admin-key-0123456789',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-policies-int-')),
      // A long L1 TTL: only invalidation messages can make an instance see a change in time.
      AILINK_L1_TTL_MS: '600000',
    },
    { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
  );
  @Module({
    imports: [
      CoreModule.forRoot(config, pino({ level: 'silent' })),
      DatabaseModule.forRoot({ entities: [PolicyEntity, PolicyVersionEntity, ProjectRow], migrations: [] }),
      RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
      PoliciesModule,
    ],
  })
  class InstanceModule {}
  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false });
  return {
    app,
    policies: app.get(PoliciesService),
    stage: app.get(PolicyStage),
    repository: app.get(PoliciesRepository),
    store: app.get(KeyValueStore),
    dataSource: app.get(DataSource),
  };
}

async function rejection(promise: Promise<unknown> | unknown): Promise<GatewayError> {
  const error = await Promise.resolve(promise).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 1000): Promise<number> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - started;
}

describe('policies (PostgreSQL + Redis, two gateway instances)', () => {
  const keyPrefix = `polint${randomUUID().slice(0, 8)}:`;
  let a: Instance;
  let b: Instance;
  const orgA = randomUUID();
  const orgB = randomUUID();
  const projectA = randomUUID();
  const projectA2 = randomUUID();
  const projectB = randomUUID();
  const adminA: Principal = { orgId: orgA, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-a' };
  const adminB: Principal = { orgId: orgB, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-b' };
  let names = 0;
  const uniqueName = (base: string): string => `${base}-${++names}`;

  const create = (body: Record<string, unknown>, principal: Principal = adminA) =>
    a.policies.create(principal, { project_id: projectA, ...body });

  async function insertToken(projectId: string, policyIds: string[]): Promise<string> {
    const id = `tok_${randomBytes(12).toString('hex')}`;
    await a.dataSource.query(
      `INSERT INTO tokens (id, secret_sha256, last4, project_id, name, upstream_url, policy_ids) VALUES ($1, $2, 'abcd', $3, 't', 'https://u.example.com', $4::uuid[])`,
      [id, randomBytes(32).toString('hex'), projectId, policyIds],
    );
    return id;
  }

  function proxyContext(
    policyIds: string[],
    body: unknown = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] },
  ): ProxyContext {
    const ctx = new ProxyContext(
      'req_' + '2'.repeat(32),
      'POST',
      '/v1/chat/completions',
      { 'user-agent': 'sdk/1.0' },
      '10.0.0.9',
      '/v1/chat/completions',
    );
    ctx.json = body;
    ctx.token = {
      id: 'tok_' + 'c'.repeat(24),
      projectId: projectA,
      name: 'agent',
      credentialId: null,
      upstreams: [],
      policyIds,
      logLevel: 1,
      circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
      tags: {},
      teamId: null,
    };
    return ctx;
  }

  /** What the stage of instance `on` answers now: `allowed`, or the error code. */
  async function verdict(on: Instance, policyIds: string[]): Promise<string> {
    const ctx = proxyContext(policyIds);
    return Promise.resolve(on.stage.run(ctx)).then(
      () => 'allowed',
      (e: unknown) => (e instanceof GatewayError ? `${e.code}:${String(e.details?.['reason'] ?? e.message)}` : String(e)),
    );
  }

  async function countRows(table: 'policies' | 'policy_versions'): Promise<number> {
    const rows: { n: number }[] = await a.dataSource.query(
      table === 'policies'
        ? 'SELECT count(*)::int AS n FROM policies WHERE project_id = $1'
        : 'SELECT count(*)::int AS n FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.project_id = $1',
      [projectA],
    );
    return rows[0]?.n ?? -1;
  }

  beforeAll(async () => {
    a = await startInstance(keyPrefix);
    b = await startInstance(keyPrefix);
    await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, 'policies-int A'), ($2, 'policies-int B')`, [orgA, orgB]);
    await a.dataSource.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $4, 'a1'), ($2, $4, 'a2'), ($3, $5, 'b1')`, [
      projectA,
      projectA2,
      projectB,
      orgA,
      orgB,
    ]);
  });

  afterAll(async () => {
    await a?.dataSource.query(`DELETE FROM organizations WHERE id = ANY($1::uuid[])`, [[orgA, orgB]]);
    await a?.app.close();
    await b?.app.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('creates, reads, lists, updates (versioned) and soft-deletes policies', async () => {
    const name = uniqueName('block-gpt4');
    const rules = [{ when: { field: 'request.body.model', op: 'glob', value: 'gpt-4*' }, then: { action: 'deny', status: 451 } }];
    const created = await create({ name, rules });
    expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name, message: 'Policy created' });

    const policy = await a.policies.get(adminA, created.id);
    expect(policy).toEqual({
      id: created.id,
      project_id: projectA,
      name,
      mode: 'enforce',
      phase: 'pre',
      rules,
      retry: null,
      buffer_streaming_for_post_flight: false,
      managed: false,
      presets: [],
      is_active: true,
      version: 1,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });

    const later = await create({ name: uniqueName('later'), rules: [] });
    const listed = await a.policies.list(adminA, { project_id: projectA });
    expect(listed.map((p) => p.id).indexOf(later.id)).toBeLessThan(listed.map((p) => p.id).indexOf(created.id));

    // PATCH semantics: only the given fields change; the merged document is validated; version + 1.
    const updated = await a.policies.update(adminA, created.id, { mode: 'shadow', retry: { max_retries: 1 } });
    expect(updated).toEqual({ id: created.id, name, message: 'Policy updated' });
    expect(await a.policies.get(adminA, created.id)).toMatchObject({ mode: 'shadow', rules, retry: { max_retries: 1 }, version: 2 });

    // A GET → PUT round trip (read-only fields included) is accepted.
    const current = await a.policies.get(adminA, created.id);
    await a.policies.update(adminA, created.id, { ...current, mode: 'enforce', retry: null });
    const third = await a.policies.get(adminA, created.id);
    expect(third).toMatchObject({ mode: 'enforce', retry: null, version: 3 });

    const versions = await a.policies.versions(adminA, created.id);
    expect(versions.map((v) => [v.version, v.mode, v.retry])).toEqual([
      [3, 'enforce', null],
      [2, 'shadow', { max_retries: 1 }],
      [1, 'enforce', null],
    ]);
    expect(versions[2]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      policy_id: created.id,
      version: 1,
      name,
      mode: 'enforce',
      phase: 'pre',
      rules,
      retry: null,
      changed_by: 'key-a',
      created_at: expect.stringMatching(/Z$/),
    });

    expect(await a.policies.delete(adminA, created.id)).toEqual({ id: created.id, deleted: true });
    expect((await a.policies.list(adminA, { project_id: projectA })).map((p) => p.id)).not.toContain(created.id);
    expect((await a.policies.list(adminA, { project_id: projectA, include_inactive: true })).map((p) => p.id)).toContain(created.id);
    expect(await a.policies.get(adminA, created.id)).toMatchObject({ is_active: false, version: 3 });
    expect((await a.policies.versions(adminA, created.id)).length).toBe(3);
    expect((await rejection(a.policies.update(adminA, created.id, { mode: 'shadow' }))).code).toBe(ErrorCode.NotFound);
    expect((await rejection(a.policies.delete(adminA, created.id))).code).toBe(ErrorCode.NotFound);
    expect((await rejection(a.policies.get(adminA, 'not-a-uuid'))).code).toBe(ErrorCode.BadRequest);
    expect((await rejection(a.policies.get(adminA, randomUUID()))).code).toBe(ErrorCode.NotFound);
  });

  it('answers 409 for a name clash among the active policies of a project only', async () => {
    const name = uniqueName('dup');
    const first = await create({ name, rules: [] });
    const clash = await rejection(create({ name, rules: [] }));
    expect([clash.code, clash.message]).toEqual([ErrorCode.Conflict, `A policy named '${name}' already exists in this project`]);
    await expect(create({ name, rules: [], project_id: projectA2 })).resolves.toMatchObject({ name });
    const other = await create({ name: uniqueName('other'), rules: [] });
    expect((await rejection(a.policies.update(adminA, other.id, { name }))).code).toBe(ErrorCode.Conflict);
    await a.policies.delete(adminA, first.id);
    await expect(create({ name, rules: [] })).resolves.toMatchObject({ name });
  });

  it('rejects an invalid document with 422 validation_error listing every problem, storing nothing', async () => {
    const policiesBefore = await countRows('policies');
    const versionsBefore = await countRows('policy_versions');
    const error = await rejection(
      create({
        name: uniqueName('bad'),
        rules: [
          { when: { field: 'request.method', op: 'not_in', value: ['GET'] }, then: { action: 'deny' } },
          { then: [{ action: 'rate_limit', window: '5 minutes', max_requests: 10 }] },
          {
            when: { field: 'request.body.model', op: 'regex', value: '(gpt)\\1' },
            then: [{ action: 'log' }, { action: 'webhook', url: 'https://x.example.com' }],
          },
        ],
      }),
    );
    expect(error.code).toBe(ErrorCode.ValidationError);
    expect(error.message).toBe('policy has 4 problems');
    expect(error.details?.['errors']).toEqual([
      { path: '$.rules[0].when.op', message: expect.stringMatching(/^unknown operator 'not_in'/) },
      { path: '$.rules[1].then[0].window', message: "expected duration like '60s', '5m', '1h', '1d'" },
      { path: '$.rules[2].when.value', message: expect.stringMatching(/backreferences/) },
      { path: '$.rules[2].then[1].action', message: "action 'webhook' is not available yet" },
    ]);

    const valid = await create({ name: uniqueName('valid'), rules: [] });
    const afterCreate = await countRows('policy_versions');
    const bad = await rejection(a.policies.update(adminA, valid.id, { rules: [{ then: { action: 'content_filter' } }], extra: true }));
    expect(bad.details?.['errors']).toEqual([
      { path: '$.extra', message: "unknown field 'extra'" },
      { path: '$.rules[0].then.action', message: "action 'content_filter' is not available yet" },
    ]);
    expect(await a.policies.get(adminA, valid.id)).toMatchObject({ rules: [], version: 1 });
    expect(await countRows('policy_versions')).toBe(afterCreate);
    expect(await countRows('policies')).toBe(policiesBefore + 1);
    expect(afterCreate).toBe(versionsBefore + 1);

    const huge = await rejection(
      create({
        name: uniqueName('huge'),
        rules: [{ when: { field: 'request.path', op: 'eq', value: 'x'.repeat(1024 * 1024) }, then: { action: 'deny' } }],
      }),
    );
    expect([huge.code, huge.details?.['errors']]).toEqual([
      ErrorCode.ValidationError,
      [{ path: '$.rules', message: expect.stringMatching(/limit is 65536/) }],
    ]);
    expect((await rejection(a.policies.validate(adminA, { name: 'x', rules: 'nope' }))).details?.['errors']).toEqual([
      { path: '$.rules', message: 'expected an array, got string' },
    ]);
    await expect(a.policies.validate(adminA, { name: 'x', rules: [], project_id: projectA })).resolves.toEqual({ valid: true });
  });

  it('checks credential ids and SSRF at write time', async () => {
    const credential = randomUUID();
    const unknown = await rejection(
      create({
        name: uniqueName('route'),
        rules: [
          {
            then: {
              action: 'dynamic_route',
              strategy: 'round_robin',
              pool: [{ model: 'm', upstream_url: 'https://u.example.com', credential_id: credential }],
            },
          },
        ],
      }),
    );
    expect(unknown.details?.['errors']).toEqual([
      { path: '$.rules[0].then.pool[0].credential_id', message: `unknown credential ${credential}` },
    ]);
    const ssrf = await rejection(
      create({
        name: uniqueName('notify'),
        rules: [{ then: { action: 'require_approval', notify: { type: 'webhook', url: 'http://169.254.169.254/latest' } } }],
      }),
    );
    expect(ssrf.details?.['errors']).toEqual([{ path: '$.rules[0].then.notify.url', message: expect.stringContaining('SSRF') }]);
  });

  it("answers 404 for another organisation's policies and projects", async () => {
    const mine = await create({ name: uniqueName('private'), rules: [] });
    for (const call of [
      a.policies.get(adminB, mine.id),
      a.policies.update(adminB, mine.id, { mode: 'shadow' }),
      a.policies.delete(adminB, mine.id),
      a.policies.versions(adminB, mine.id),
      a.policies.list(adminB, { project_id: projectA }),
      create({ name: 'x', rules: [] }, adminB),
    ]) {
      expect((await rejection(call)).code).toBe(ErrorCode.NotFound);
    }
    expect(await a.policies.list(adminB, { project_id: projectB })).toEqual([]);
  });

  it('detaches a deleted policy from every token and invalidates those tokens', async () => {
    const keep = await create({ name: uniqueName('keep'), rules: [] });
    const gone = await create({ name: uniqueName('gone'), rules: [] });
    const tokenId = await insertToken(projectA, [keep.id, gone.id]);
    await a.store.set(resourceKey('token', tokenId), '{"stale":true}', 300);
    const versionBefore = await a.store.getVersion(resourceVersionKey('token', tokenId));
    await a.policies.delete(adminA, gone.id);
    const rows: { policy_ids: string[] }[] = await a.dataSource.query('SELECT policy_ids FROM tokens WHERE id = $1', [tokenId]);
    expect(rows[0]?.policy_ids).toEqual([keep.id]);
    expect(await a.store.get(resourceKey('token', tokenId))).toBeNull();
    expect(await a.store.getVersion(resourceVersionKey('token', tokenId))).not.toBe(versionBefore);
  });

  describe('PolicyStage across instances', () => {
    it('enforces on another instance and sees every edit within 1 s', async () => {
      const created = await create({
        name: uniqueName('edit'),
        rules: [
          { when: { field: 'request.headers.user-agent', op: 'starts_with', value: 'sdk/' }, then: { action: 'deny', message: 'no SDKs' } },
        ],
      });
      const ids = [created.id];
      expect(await verdict(b, ids)).toBe('policy_denied:no SDKs');

      await a.policies.update(adminA, created.id, { rules: [{ then: { action: 'deny', status: 429, message: 'edited' } }] });
      expect(await waitUntil(async () => (await verdict(b, ids)) === 'policy_denied:edited')).toBeLessThan(1000);

      await a.policies.update(adminA, created.id, { mode: 'shadow' });
      await waitUntil(async () => (await verdict(b, ids)) === 'allowed');
      const ctx = proxyContext(ids);
      await b.stage.run(ctx);
      expect(ctx.policy?.shadow_violations).toEqual([
        { policy_id: created.id, policy: expect.any(String), rule_index: 0, actions: ['deny'], outcome: 'would_block' },
      ]);

      await a.policies.update(adminA, created.id, { mode: 'enforce' });
      await waitUntil(async () => (await verdict(b, ids)) === 'policy_denied:edited');
      await a.policies.delete(adminA, created.id);
      await waitUntil(async () => (await verdict(b, ids)) === 'allowed');
    });

    it('serves warm requests without querying PostgreSQL', async () => {
      const created = await create({ name: uniqueName('warm'), rules: [{ then: { action: 'tag', key: 'seen', value: 'yes' } }] });
      await b.stage.run(proxyContext([created.id]));
      const lookups = jest.spyOn(b.repository, 'findById');
      try {
        for (let i = 0; i < 20; i++) {
          const ctx = proxyContext([created.id]);
          await b.stage.run(ctx);
          expect(ctx.policy?.tags).toEqual({ seen: 'yes' });
        }
        expect(lookups).not.toHaveBeenCalled();
      } finally {
        lookups.mockRestore();
      }
    });

    it('loads a cold instance from L2, compiled, without PostgreSQL', async () => {
      const created = await create({
        name: uniqueName('l2'),
        rules: [{ when: { field: 'request.body.model', op: 'regex', value: '^gpt-4' }, then: { action: 'deny' } }],
      });
      expect(await verdict(a, [created.id])).toMatch(/^policy_denied/);
      const lookups = jest.spyOn(b.repository, 'findById');
      try {
        expect(await verdict(b, [created.id])).toMatch(/^policy_denied/);
        expect(lookups).not.toHaveBeenCalled();
      } finally {
        lookups.mockRestore();
      }
    });

    it('fails closed with invalid_config when a stored row cannot be compiled', async () => {
      const created = await create({ name: uniqueName('damaged'), rules: [] });
      await a.dataSource.query(`UPDATE policies SET rules = '[{"then":{"action":"teleport"}}]'::jsonb WHERE id = $1`, [created.id]);
      await a.app.get(PolicyCache).invalidate(created.id, projectA);
      const name = (await a.policies.get(adminA, created.id)).name;
      expect(await verdict(b, [created.id])).toBe(`invalid_config:Policy '${name}' (${created.id}) cannot be applied to this request`);
      // Other policies of the token do not help: the token fails closed.
      const fine = await create({ name: uniqueName('fine'), rules: [] });
      expect(await verdict(b, [fine.id, created.id])).toMatch(/^invalid_config:/);
    });
  });
});
