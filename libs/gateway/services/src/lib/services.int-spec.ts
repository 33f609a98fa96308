import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { CoreModule, GatewayError, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { ProxyContext } from '@ailink/gateway-proxy';
import { RedisModule } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { kekIdOf } from '@ailink/gateway-vault';

/** Rows sealed under the shared test key, so a gateway booting on the same database meanwhile accepts them. */
const SHARED_KEK_ID = kekIdOf(Buffer.from(TEST_MASTER_KEY, 'hex'));
import { ServiceEntity } from './entities/service.entity';
import { ResolveServiceStage } from './resolve-service.stage';
import { ServicesModule } from './services.module';
import { ServicesRepository } from './services.repository';
import { ServicesService } from './services.service';

/** Stand-ins for the tables other features own: only their ids, so that the FKs resolve. */
@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}
@Entity({ name: 'credentials' })
class CredentialRow {
  @PrimaryColumn('uuid') id!: string;
}

interface Instance {
  app: INestApplicationContext;
  services: ServicesService;
  stage: ResolveServiceStage;
  repository: ServicesRepository;
  dataSource: DataSource;
}

async function startInstance(keyPrefix: string): Promise<Instance> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'services-int-admin-key-0123456789',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-services-int-')),
      AILINK_L1_TTL_MS: '600000',
      // Exempt the loopback address the tests' local upstreams use, and one private /24.
      AILINK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1,10.20.30.0/24,internal-ok.test',
    },
    { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
  );
  @Module({
    imports: [
      CoreModule.forRoot(config, pino({ level: 'silent' })),
      DatabaseModule.forRoot({ entities: [ServiceEntity, ProjectRow, CredentialRow], migrations: [] }),
      RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
      ServicesModule,
    ],
  })
  class InstanceModule {}
  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false });
  return {
    app,
    services: app.get(ServicesService),
    stage: app.get(ResolveServiceStage),
    repository: app.get(ServicesRepository),
    dataSource: app.get(DataSource),
  };
}

function serviceContext(projectId: string, name: string): ProxyContext {
  const ctx = new ProxyContext(
    'req_' + '1'.repeat(32),
    'GET',
    `/v1/proxy/services/${name}/items`,
    {},
    '127.0.0.1',
    `/v1/proxy/services/${name}/items?q=1`,
  );
  ctx.route = 'service';
  ctx.serviceName = name;
  ctx.upstreamPath = '/items';
  ctx.token = {
    id: 'tok_' + 'a'.repeat(24),
    projectId,
    name: 't',
    credentialId: null,
    upstreams: [],
    policyIds: [],
    logLevel: 1,
    circuitBreaker: { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
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

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('services (PostgreSQL + Redis, two gateway instances)', () => {
  const keyPrefix = `svcint${randomUUID().slice(0, 8)}:`;
  let a: Instance;
  let b: Instance;
  const orgA = randomUUID();
  const orgB = randomUUID();
  const projectA = randomUUID();
  const projectA2 = randomUUID();
  const projectB = randomUUID();
  let credentialA: string;
  let credentialA2: string;
  const adminA: Principal = { orgId: orgA, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-a' };
  const adminB: Principal = { orgId: orgB, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-b' };

  const create = (body: Record<string, unknown>, principal: Principal = adminA) =>
    a.services.create(principal, { project_id: projectA, ...body } as never);

  async function insertCredential(projectId: string): Promise<string> {
    const rows: { id: string }[] = await a.dataSource.query(
      `INSERT INTO credentials (project_id, name, provider, injection_mode, encrypted_dek, dek_nonce, encrypted_secret, secret_nonce, kek_id)
       VALUES ($1, 'svc-cred', 'generic', 'bearer', '\\x00', '\\x00', '\\x00', '\\x00', $2) RETURNING id`,
      [projectId, SHARED_KEK_ID],
    );
    const [row] = rows;
    if (!row) throw new Error('credential insert returned nothing');
    return row.id;
  }

  beforeAll(async () => {
    a = await startInstance(keyPrefix);
    b = await startInstance(keyPrefix);
    await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, 'services-int A'), ($2, 'services-int B')`, [orgA, orgB]);
    await a.dataSource.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $4, 'a1'), ($2, $4, 'a2'), ($3, $5, 'b1')`, [
      projectA,
      projectA2,
      projectB,
      orgA,
      orgB,
    ]);
    credentialA = await insertCredential(projectA);
    credentialA2 = await insertCredential(projectA2);
  });

  afterAll(async () => {
    await a?.dataSource.query(`DELETE FROM organizations WHERE id = ANY($1::uuid[])`, [[orgA, orgB]]);
    await a?.app.close();
    await b?.app.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('creates, reads, lists, updates and deletes services', async () => {
    const created = await create({ name: 'crm', base_url: 'https://crm.example.com/api/', description: 'CRM', credential_id: credentialA });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      project_id: projectA,
      name: 'crm',
      description: 'CRM',
      base_url: 'https://crm.example.com/api/',
      service_type: 'generic',
      credential_id: credentialA,
      is_active: true,
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });
    expect(await a.services.get(adminA, created.id)).toEqual(created);
    expect((await a.services.list(adminA, { project_id: projectA })).map((s) => s.id)).toContain(created.id);
    const updated = await a.services.update(adminA, created.id, { description: null, credential_id: null, service_type: 'rest' });
    expect(updated).toMatchObject({ description: null, credential_id: null, service_type: 'rest', name: 'crm' });
    expect(await a.services.delete(adminA, created.id)).toEqual({ deleted: true });
    await expect(a.services.get(adminA, created.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.services.delete(adminA, created.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.services.get(adminA, 'not-a-uuid')).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('answers 400 for unparseable or non-http base URLs', async () => {
    for (const base_url of ['not a url', 'ftp://files.example.com', 'file:///etc/passwd', '/relative']) {
      expect((await rejection(create({ name: 'bad', base_url }))).code).toBe('bad_request');
    }
  });

  it('answers 409 for a name clash with an active service of the project, not across projects', async () => {
    await create({ name: 'dup', base_url: 'https://one.example.com' });
    expect((await rejection(create({ name: 'dup', base_url: 'https://two.example.com' }))).code).toBe('conflict');
    await expect(create({ name: 'dup', base_url: 'https://two.example.com', project_id: projectA2 })).resolves.toMatchObject({
      name: 'dup',
    });
    const other = await create({ name: 'other', base_url: 'https://three.example.com' });
    expect((await rejection(a.services.update(adminA, other.id, { name: 'dup' }))).code).toBe('conflict');
    // an inactive service frees its name
    const inactive = await create({ name: 'retired', base_url: 'https://x.example.com' });
    await a.services.update(adminA, inactive.id, { is_active: false });
    await expect(create({ name: 'retired', base_url: 'https://y.example.com' })).resolves.toMatchObject({ is_active: true });
    expect((await rejection(a.services.update(adminA, inactive.id, { is_active: true }))).code).toBe('conflict');
  });

  it('refuses SSRF targets with 422, honouring AILINK_ALLOWED_PRIVATE_HOSTS', async () => {
    const refused = [
      'http://127.0.0.2:8080',
      'http://[::1]/',
      'http://[::ffff:127.0.0.2]/',
      'http://10.0.0.1/',
      'http://172.16.5.5/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://metadata.google.internal/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://[fd00::1]/',
      'http://[fe80::1]/',
      'http://224.0.0.1/',
    ];
    for (const base_url of refused) {
      const error = await rejection(create({ name: 'ssrf', base_url }));
      expect({ base_url, code: error.code }).toEqual({ base_url, code: 'validation_error' });
      expect(error.details?.['errors']).toEqual([{ path: '$.base_url', message: expect.stringContaining('SSRF') }]);
    }
    await expect(create({ name: 'local-upstream', base_url: 'http://127.0.0.1:9999/api' })).resolves.toMatchObject({
      name: 'local-upstream',
    });
    await expect(create({ name: 'private-ok', base_url: 'http://10.20.30.40/' })).resolves.toMatchObject({ name: 'private-ok' });
    const ok = await create({ name: 'patch-me', base_url: 'https://public.example.com' });
    expect((await rejection(a.services.update(adminA, ok.id, { base_url: 'http://169.254.169.254/' }))).code).toBe('validation_error');
    expect((await rejection(a.services.update(adminA, ok.id, { base_url: 'gopher://x' }))).code).toBe('bad_request');
    expect((await a.services.get(adminA, ok.id)).base_url).toBe('https://public.example.com');
  });

  it('refuses credentials that are unknown or belong to another project (422)', async () => {
    for (const credential_id of [randomUUID(), credentialA2]) {
      const error = await rejection(create({ name: 'with-cred', base_url: 'https://x.example.com', credential_id }));
      expect(error.code).toBe('validation_error');
      expect(error.details?.['errors']).toEqual([{ path: '$.credential_id', message: expect.any(String) }]);
    }
  });

  it("answers 404 for another organisation's services and projects", async () => {
    const mine = await create({ name: 'private', base_url: 'https://x.example.com' });
    await expect(a.services.get(adminB, mine.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.services.update(adminB, mine.id, { description: 'x' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.services.delete(adminB, mine.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(a.services.list(adminB, { project_id: projectA })).rejects.toMatchObject({ code: 'not_found' });
    await expect(create({ name: 'x', base_url: 'https://x.example.com' }, adminB)).rejects.toMatchObject({ code: 'not_found' });
    expect((await a.services.list(adminB, { project_id: projectB })).length).toBe(0);
  });

  describe('ResolveServiceStage', () => {
    it('resolves the service of the token project on another instance', async () => {
      await create({ name: 'billing', base_url: 'https://billing.example.com/v2/', credential_id: credentialA });
      const ctx = serviceContext(projectA, 'billing');
      await b.stage.run(ctx);
      expect(ctx.targetBaseUrl).toBe('https://billing.example.com/v2');
      expect(ctx.credentialId).toBe(credentialA);
      expect(ctx.upstreamPath).toBe('/items');
      const elsewhere = await rejection(b.stage.run(serviceContext(projectA2, 'billing')));
      expect([elsewhere.code, elsewhere.message]).toEqual(['upstream_failed', "Unknown service 'billing'"]);
    });

    it('sees creation after a negative lookup, updates, deactivation and deletion on every instance', async () => {
      expect((await rejection(b.stage.run(serviceContext(projectA, 'late')))).code).toBe('upstream_failed');
      const late = await create({ name: 'late', base_url: 'https://late.example.com' });
      await waitUntil(async () => {
        const ctx = serviceContext(projectA, 'late');
        return Promise.resolve(b.stage.run(ctx)).then(
          () => ctx.targetBaseUrl === 'https://late.example.com',
          () => false,
        );
      });
      await a.services.update(adminA, late.id, { base_url: 'https://later.example.com/' });
      await waitUntil(async () => {
        const ctx = serviceContext(projectA, 'late');
        await b.stage.run(ctx);
        return ctx.targetBaseUrl === 'https://later.example.com';
      });
      await a.services.update(adminA, late.id, { name: 'renamed' });
      await waitUntil(
        async () =>
          await Promise.resolve(b.stage.run(serviceContext(projectA, 'late'))).then(
            () => false,
            () => true,
          ),
      );
      await b.stage.run(serviceContext(projectA, 'renamed'));
      await a.services.update(adminA, late.id, { is_active: false });
      await waitUntil(
        async () =>
          await Promise.resolve(b.stage.run(serviceContext(projectA, 'renamed'))).then(
            () => false,
            () => true,
          ),
      );
      await a.services.update(adminA, late.id, { is_active: true });
      await waitUntil(async () =>
        Promise.resolve(b.stage.run(serviceContext(projectA, 'renamed'))).then(
          () => true,
          () => false,
        ),
      );
      await a.services.delete(adminA, late.id);
      await waitUntil(
        async () =>
          await Promise.resolve(b.stage.run(serviceContext(projectA, 'renamed'))).then(
            () => false,
            () => true,
          ),
      );
    });

    it('caches unknown names negatively: repeated lookups do not reach PostgreSQL', async () => {
      const lookups = jest.spyOn(b.repository, 'findActiveByName');
      const lookupsA = jest.spyOn(a.repository, 'findActiveByName');
      try {
        for (let i = 0; i < 5; i++) await rejection(b.stage.run(serviceContext(projectA, 'ghost')));
        await rejection(a.stage.run(serviceContext(projectA, 'ghost')));
        expect(lookups).toHaveBeenCalledTimes(1);
        expect(lookupsA).toHaveBeenCalledTimes(0);
      } finally {
        lookups.mockRestore();
        lookupsA.mockRestore();
      }
    });
  });
});
