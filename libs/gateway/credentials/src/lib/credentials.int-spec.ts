import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Global, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { DEFAULT_PROJECT_ID, type CredentialMeta } from '@ailink/shared-contracts';
import {
  CoreModule,
  ErrorCode,
  GatewayError,
  GatewayExceptionFilter,
  createValidationPipe,
  loadConfig,
  type Principal,
} from '@ailink/gateway-core';
import { ProjectScope, SnakeNamingStrategy, runMigrations } from '@ailink/gateway-database';
import { ProxyContext } from '@ailink/gateway-proxy';
import { RedisModule } from '@ailink/gateway-redis';
import { MasterKeyRotationService, SystemStateEntity, VaultModule, VaultService, kekIdOf } from '@ailink/gateway-vault';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { TEST_REDIS_URL, createScratchDatabase } from '@ailink/testing';
import { CredentialStore } from './credential.store';
import { CredentialsModule } from './credentials.module';
import { CredentialEntity } from './entities/credential.entity';
import { RotationLogEntity } from './entities/rotation-log.entity';
import { InjectCredentialStage } from './inject-credential.stage';

/** `credentials.project_id` references `projects` by table name; this stand-in satisfies the metadata. */
@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}

/** The app's DatabaseModule provides ProjectScope globally; so does this. */
@Global()
@Module({ providers: [ProjectScope], exports: [ProjectScope] })
class ProjectScopeModule {}

const OTHER_ORG = randomUUID();
const OTHER_PROJECT = randomUUID();
const SECOND_PROJECT = randomUUID();

/** Principal from test headers (the real guard authenticates keys; here only the scoping matters). */
@Injectable()
class TestPrincipalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string>; principal?: Principal }>();
    request.principal = {
      orgId: request.headers['x-test-org'] ?? DEFAULT_PROJECT_ID,
      userId: null,
      role: (request.headers['x-test-role'] as Principal['role']) ?? 'admin',
      scopes: ['*'],
      authMethod: 'api_key',
    };
    return true;
  }
}

interface Gateway {
  app: NestFastifyApplication;
  store: CredentialStore;
  stage: InjectCredentialStage;
  vault: VaultService;
  close(): Promise<void>;
}

describe('credentials (PostgreSQL + Redis)', () => {
  const KEY_A = randomBytes(32);
  const KEY_B = randomBytes(32);
  let scratch: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  let prefix: string;
  let first: Gateway;
  let second: Gateway;
  const logs: string[] = [];
  const bodies: string[] = [];
  const secrets: string[] = [];

  /** A distinctive secret, remembered for the final leak scan. */
  function secret(label: string): string {
    const value = `sk-${label}-${randomBytes(12).toString('hex')}`;
    secrets.push(value);
    return value;
  }

  async function gateway(current: Buffer, previous?: Buffer): Promise<Gateway> {
    const config = loadConfig(
      {
        DATABASE_URL: scratch.url,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_MASTER_KEY: current.toString('hex'),
        AILINK_MASTER_KEY_PREVIOUS: previous?.toString('hex'),
        AILINK_ADMIN_KEY: 'credentials-test-admin-key-0123',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-cred-')),
        AILINK_L1_TTL_MS: '60000',
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    );
    const moduleRef = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot(config, logger),
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: scratch.url,
          entities: [ProjectRow, SystemStateEntity, CredentialEntity, RotationLogEntity],
          namingStrategy: new SnakeNamingStrategy(),
          synchronize: false,
          extra: { max: 4 },
        }),
        RedisModule.forRoot({ url: TEST_REDIS_URL, keyPrefix: prefix }),
        ProjectScopeModule,
        VaultModule,
        CredentialsModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: TestPrincipalGuard },
        { provide: APP_FILTER, useClass: GatewayExceptionFilter },
      ],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.setGlobalPrefix('api/v1');
    app.useGlobalPipes(createValidationPipe());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return {
      app,
      store: app.get(CredentialStore),
      stage: app.get(InjectCredentialStage),
      vault: app.get(VaultService),
      close: () => app.close(),
    };
  }

  async function call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
    gw = first,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted structurally
  ): Promise<{ status: number; body: any }> {
    const response = await gw.app.inject({ method, url: `/api/v1${url}`, payload: body as object | undefined, headers });
    bodies.push(response.body);
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  }

  async function create(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
    const response = await call('POST', '/credentials', body, headers);
    expect(response.status).toBe(201);
    return response.body.id as string;
  }

  async function injectedHeaders(gw: Gateway, id: string): Promise<{ headers: Record<string, string>; query: [string, string][] }> {
    const ctx = new ProxyContext(
      `req_${randomBytes(16).toString('hex')}`,
      'POST',
      '/v1/chat/completions',
      {},
      '127.0.0.1',
      '/v1/chat/completions',
    );
    ctx.credentialId = id;
    await gw.stage.run(ctx);
    return { headers: { ...ctx.upstreamHeaders }, query: [...ctx.upstreamQuery] };
  }

  async function waitFor(predicate: () => Promise<boolean>, what: string, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase('ailink_cred');
    ds = new DataSource({ type: 'postgres', url: scratch.url, migrations: ALL_MIGRATIONS, extra: { max: 2 } });
    await ds.initialize();
    await runMigrations(ds);
    await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, 'Other org')`, [OTHER_ORG]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'other'), ($3, $4, 'second')`, [
      OTHER_PROJECT,
      OTHER_ORG,
      SECOND_PROJECT,
      DEFAULT_PROJECT_ID,
    ]);
    prefix = `t:cred:${randomUUID().slice(0, 12)}:`;
    first = await gateway(KEY_A);
    second = await gateway(KEY_A);
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await ds?.destroy();
    await scratch?.drop();
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  });

  describe('Management API', () => {
    it('creates, lists and reads a credential without ever returning the secret', async () => {
      const value = secret('openai');
      const created = await call('POST', '/credentials', { name: 'openai-prod', provider: 'openai', secret: value, unknown_field: 1 });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'openai-prod',
        message: 'Credential encrypted and stored',
      });
      const id = created.body.id as string;

      const list = await call('GET', '/credentials');
      expect(list.status).toBe(200);
      expect(Array.isArray(list.body)).toBe(true);
      const item = (list.body as CredentialMeta[]).find((c) => c.id === id);
      expect(item).toEqual({
        id,
        name: 'openai-prod',
        provider: 'openai',
        version: 1,
        is_active: true,
        created_at: expect.stringMatching(/Z$/),
        updated_at: expect.stringMatching(/Z$/),
        injection_mode: 'bearer',
        injection_header: 'Authorization',
        rotation_enabled: false,
        rotation_interval_secs: null,
        last_rotated_at: null,
      });
      const one = await call('GET', `/credentials/${id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(item);
      expect(Object.keys(one.body)).not.toEqual(expect.arrayContaining(['secret']));

      // Stored encrypted: the plaintext is nowhere in the row.
      const [row] = await ds.query('SELECT * FROM credentials WHERE id = $1', [id]);
      expect(row.kek_id).toBe(kekIdOf(KEY_A));
      expect(JSON.stringify(row)).not.toContain(value);
      expect(Buffer.concat(Object.values(row).filter(Buffer.isBuffer) as Buffer[]).includes(Buffer.from(value))).toBe(false);
    });

    it('defaults the injection by provider, honours explicit modes, and stores rotation settings', async () => {
      const cases: [Record<string, unknown>, string, string | null][] = [
        [{ provider: 'anthropic' }, 'header', 'x-api-key'],
        [{ provider: 'gemini' }, 'header', 'x-goog-api-key'],
        [{ provider: 'azure_openai' }, 'header', 'api-key'],
        [{ provider: 'bedrock' }, 'sigv4', null],
        [{ provider: 'mistral' }, 'bearer', 'Authorization'],
        [{ provider: 'custom', injection_mode: 'query' }, 'query', 'key'],
        [{ provider: 'custom', injection_mode: 'basic' }, 'basic', 'Authorization'],
        [{ provider: 'custom', injection_mode: 'header', injection_header: 'X-Service-Token' }, 'header', 'X-Service-Token'],
      ];
      for (const [fields, mode, header] of cases) {
        const id = await create({ name: `defaults-${randomUUID()}`, secret: secret('d'), ...fields });
        const { body } = await call('GET', `/credentials/${id}`);
        expect({ fields, mode: body.injection_mode, header: body.injection_header }).toEqual({ fields, mode, header });
      }
      const id = await create({
        name: `rot-${randomUUID()}`,
        provider: 'openai',
        secret: secret('r'),
        rotation_enabled: true,
        rotation_interval_secs: 86400,
      });
      expect((await call('GET', `/credentials/${id}`)).body).toMatchObject({ rotation_enabled: true, rotation_interval_secs: 86400 });
    });

    it('answers 400 for a bad mode, header, missing field or wrong type, and 422 for rule violations', async () => {
      const base = { name: `v-${randomUUID()}`, provider: 'openai', secret: secret('v') };
      const expectError = async (body: unknown, status: number, code: string) => {
        const response = await call('POST', '/credentials', body);
        expect({ body, status: response.status, code: response.body.error.code }).toEqual({ body, status, code });
      };
      await expectError({ ...base, injection_mode: 'oauth' }, 400, 'bad_request');
      await expectError({ ...base, injection_mode: 'header', injection_header: 'Bad Header' }, 400, 'bad_request');
      await expectError({ ...base, injection_header: 'x-bad\r\nx-injected' }, 400, 'bad_request');
      await expectError({ ...base, injection_header: 'Host' }, 400, 'bad_request');
      await expectError({ name: base.name, provider: 'openai' }, 400, 'bad_request');
      await expectError({ ...base, secret: 12345 }, 400, 'bad_request');
      await expectError({ ...base, provider: undefined }, 400, 'bad_request');
      await expectError({ ...base, rotation_interval_secs: 'daily' }, 400, 'bad_request');
      await expectError({ ...base, project_id: 'not-a-uuid' }, 400, 'bad_request');
      await expectError({ ...base, name: '' }, 422, 'validation_error');
      await expectError({ ...base, name: '   ' }, 422, 'validation_error');
      await expectError({ ...base, secret: '' }, 422, 'validation_error');
      await expectError({ ...base, secret: 'line\nbreak' }, 422, 'validation_error');
      await expectError({ ...base, rotation_interval_secs: 0 }, 422, 'validation_error');
      expect((await call('GET', '/credentials/not-a-uuid')).status).toBe(400);
      expect((await call('GET', `/credentials/${randomUUID()}`)).body.error.code).toBe('not_found');
    });

    it('answers 409 on a name clash in the same project only', async () => {
      const name = `clash-${randomUUID()}`;
      await create({ name, provider: 'openai', secret: secret('c1') });
      const clash = await call('POST', '/credentials', { name, provider: 'openai', secret: secret('c2') });
      expect(clash.status).toBe(409);
      expect(clash.body.error).toMatchObject({ code: 'conflict', type: 'invalid_request_error' });
      await create({ name, provider: 'openai', secret: secret('c3'), project_id: SECOND_PROJECT });
      const list = await call('GET', `/credentials?project_id=${SECOND_PROJECT}`);
      expect((list.body as CredentialMeta[]).map((c) => c.name)).toEqual([name]);

      const other = await create({ name: `${name}-b`, provider: 'openai', secret: secret('c4') });
      const rename = await call('PATCH', `/credentials/${other}`, { name });
      expect(rename.status).toBe(409);
    });

    it('patches only the fields given; a mode change resets the header to its default, null resets it', async () => {
      const id = await create({ name: `p-${randomUUID()}`, provider: 'anthropic', secret: secret('p') });
      let response = await call('PATCH', `/credentials/${id}`, { rotation_enabled: true, rotation_interval_secs: 3600 });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        injection_mode: 'header',
        injection_header: 'x-api-key',
        rotation_enabled: true,
        rotation_interval_secs: 3600,
        version: 1,
      });
      response = await call('PATCH', `/credentials/${id}`, { injection_mode: 'bearer' });
      expect(response.body).toMatchObject({ injection_mode: 'bearer', injection_header: 'Authorization' });
      response = await call('PATCH', `/credentials/${id}`, { injection_header: 'X-Upstream-Key' });
      expect(response.body).toMatchObject({ injection_mode: 'bearer', injection_header: 'X-Upstream-Key' });
      response = await call('PATCH', `/credentials/${id}`, { injection_header: null, rotation_interval_secs: null, name: 'renamed-' + id });
      expect(response.body).toMatchObject({ injection_header: 'Authorization', rotation_interval_secs: null, name: 'renamed-' + id });
      response = await call('PATCH', `/credentials/${id}`, { injection_mode: 'sigv4' });
      expect(response.body).toMatchObject({ injection_mode: 'sigv4', injection_header: null });
      expect((await call('PATCH', `/credentials/${id}`, { injection_mode: 'token' })).status).toBe(400);
      expect((await call('PATCH', `/credentials/${id}`, { injection_mode: 'header', injection_header: 'a b' })).status).toBe(400);
      expect((await call('PATCH', `/credentials/${id}`, { name: null })).status).toBe(400);
      expect((await call('GET', `/credentials/${id}`)).body).toMatchObject({ injection_mode: 'sigv4', version: 1 });
    });

    it('soft-deletes: {id, deleted}, then 404 everywhere, the row kept, the name free again', async () => {
      const name = `del-${randomUUID()}`;
      const id = await create({ name, provider: 'openai', secret: secret('del') });
      const deleted = await call('DELETE', `/credentials/${id}`);
      expect(deleted).toEqual({ status: 200, body: { id, deleted: true } });
      expect((await call('GET', `/credentials/${id}`)).status).toBe(404);
      expect((await call('PATCH', `/credentials/${id}`, { name: 'x' })).status).toBe(404);
      expect((await call('POST', `/credentials/${id}/rotate`, {})).status).toBe(404);
      expect((await call('DELETE', `/credentials/${id}`)).status).toBe(404);
      expect(((await call('GET', '/credentials')).body as CredentialMeta[]).some((c) => c.id === id)).toBe(false);
      const [row] = await ds.query('SELECT is_active, deleted_at FROM credentials WHERE id = $1', [id]);
      expect(row.is_active).toBe(false);
      expect(row.deleted_at).toBeInstanceOf(Date);
      await create({ name, provider: 'openai', secret: secret('del2') });
    });

    it('rotates: a new secret (secret or api_key) or a DEK refresh, each version + 1 with a rotation_log row', async () => {
      const original = secret('orig');
      const id = await create({ name: `rot-${randomUUID()}`, provider: 'openai', secret: original });
      const [before] = await ds.query('SELECT encrypted_dek, encrypted_secret FROM credentials WHERE id = $1', [id]);

      const replaced = secret('new');
      let response = await call('POST', `/credentials/${id}/rotate`, { secret: replaced });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ id, version: 2, rotated_at: expect.stringMatching(/Z$/), message: expect.any(String) });
      expect((await injectedHeaders(first, id)).headers).toEqual({ authorization: `Bearer ${replaced}` });

      const viaApiKey = secret('apikey');
      response = await call('POST', `/credentials/${id}/rotate`, { api_key: viaApiKey });
      expect(response.body.version).toBe(3);
      expect((await injectedHeaders(first, id)).headers).toEqual({ authorization: `Bearer ${viaApiKey}` });

      const [mid] = await ds.query('SELECT encrypted_dek, encrypted_secret FROM credentials WHERE id = $1', [id]);
      response = await call('POST', `/credentials/${id}/rotate`);
      expect(response.body.version).toBe(4);
      const [after] = await ds.query('SELECT encrypted_dek, encrypted_secret, version, last_rotated_at FROM credentials WHERE id = $1', [
        id,
      ]);
      expect(after.encrypted_dek.equals(mid.encrypted_dek)).toBe(false);
      expect(after.encrypted_secret.equals(mid.encrypted_secret)).toBe(false);
      expect(after.encrypted_dek.equals(before.encrypted_dek)).toBe(false);
      expect(after.last_rotated_at.toISOString()).toBe(response.body.rotated_at);
      expect((await injectedHeaders(first, id)).headers).toEqual({ authorization: `Bearer ${viaApiKey}` });

      const meta = (await call('GET', `/credentials/${id}`)).body;
      expect(meta).toMatchObject({ version: 4, last_rotated_at: response.body.rotated_at });
      const log = await ds.query(
        'SELECT old_version, new_version, trigger, status, error FROM rotation_log WHERE credential_id = $1 ORDER BY new_version',
        [id],
      );
      expect(log).toEqual([
        { old_version: 1, new_version: 2, trigger: 'api', status: 'success', error: null },
        { old_version: 2, new_version: 3, trigger: 'api', status: 'success', error: null },
        { old_version: 3, new_version: 4, trigger: 'api', status: 'success', error: null },
      ]);
      expect((await call('POST', `/credentials/${id}/rotate`, { secret: '' })).status).toBe(422);
      expect((await call('POST', `/credentials/${id}/rotate`, { secret: 42 })).status).toBe(400);
    });

    it("answers 404 for another organisation's credentials and projects", async () => {
      const mine = await create({ name: `org1-${randomUUID()}`, provider: 'openai', secret: secret('org1') });
      const other = { 'x-test-org': OTHER_ORG };
      expect((await call('GET', `/credentials/${mine}`, undefined, other)).status).toBe(404);
      expect((await call('PATCH', `/credentials/${mine}`, { name: 'stolen' }, other)).status).toBe(404);
      expect((await call('POST', `/credentials/${mine}/rotate`, { secret: secret('x') }, other)).status).toBe(404);
      expect((await call('DELETE', `/credentials/${mine}`, undefined, other)).status).toBe(404);
      expect((await call('GET', `/credentials?project_id=${DEFAULT_PROJECT_ID}`, undefined, other)).status).toBe(404);
      const foreignCreate = await call(
        'POST',
        '/credentials',
        { name: 'x', provider: 'openai', secret: secret('x'), project_id: DEFAULT_PROJECT_ID },
        other,
      );
      expect(foreignCreate.status).toBe(404);
      expect(foreignCreate.body.error.code).toBe('not_found');

      const theirs = await create({ name: 'theirs', provider: 'openai', secret: secret('org2'), project_id: OTHER_PROJECT }, other);
      expect(
        ((await call('GET', `/credentials?project_id=${OTHER_PROJECT}`, undefined, other)).body as CredentialMeta[]).map((c) => c.id),
      ).toEqual([theirs]);
      expect((await call('GET', `/credentials/${theirs}`)).status).toBe(404);
      expect((await call('GET', `/credentials/${theirs}`, undefined, { 'x-test-role': 'superadmin' })).status).toBe(200);
      expect((await call('GET', `/credentials/${mine}`)).body.name).toMatch(/^org1-/);
    });
  });

  describe('CredentialStore and the inject-credential stage', () => {
    it('resolves metadata and ciphertext through the cache tiers; L2 holds no plaintext', async () => {
      const value = secret('cache');
      const id = await create({ name: `cache-${randomUUID()}`, provider: 'anthropic', secret: value });
      const resolved = await first.store.get(id);
      expect(resolved).toMatchObject({
        id,
        projectId: DEFAULT_PROJECT_ID,
        mode: 'header',
        header: 'x-api-key',
        isActive: true,
        version: 1,
      });
      expect(Buffer.isBuffer(resolved?.sealed.encryptedSecret)).toBe(true);
      const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
      await redis.connect();
      try {
        const l2 = await redis.get(`${prefix}ailink:res:credential:${id}`);
        expect(l2).not.toBeNull();
        expect(l2).not.toContain(value);
        expect(l2).not.toContain(Buffer.from(value).toString('base64'));
      } finally {
        redis.disconnect();
      }
      expect(await injectedHeaders(first, id)).toEqual({ headers: { 'x-api-key': value }, query: [] });
      expect(await first.store.get('not-a-uuid')).toBeNull();
    });

    it('sees every write at once on this instance and, through the invalidation channel, on the other', async () => {
      const id = await create({ name: `inv-${randomUUID()}`, provider: 'openai', secret: secret('inv1') });
      expect((await first.store.get(id))?.version).toBe(1);
      expect((await second.store.get(id))?.version).toBe(1);

      const next = secret('inv2');
      await call('POST', `/credentials/${id}/rotate`, { secret: next });
      expect((await first.store.get(id))?.version).toBe(2);
      await waitFor(async () => (await second.store.get(id))?.version === 2, 'the rotation on the second instance');
      expect((await injectedHeaders(second, id)).headers).toEqual({ authorization: `Bearer ${next}` });

      await call('PATCH', `/credentials/${id}`, { injection_mode: 'query', injection_header: 'api_key' });
      expect((await first.store.get(id))?.mode).toBe('query');
      await waitFor(async () => (await second.store.get(id))?.mode === 'query', 'the patch on the second instance');
      expect(await injectedHeaders(second, id)).toEqual({ headers: {}, query: [['api_key', next]] });

      await call('DELETE', `/credentials/${id}`);
      expect(await first.store.get(id)).toBeNull();
      await waitFor(async () => (await second.store.get(id)) === null, 'the delete on the second instance');
      const missing = await injectedHeaders(second, id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(missing).toBeInstanceOf(GatewayError);
      expect((missing as GatewayError).code).toBe(ErrorCode.CredentialMissing);
    });

    it('answers credential_missing for an inactive credential and invalid_config for sigv4', async () => {
      const id = await create({ name: `inactive-${randomUUID()}`, provider: 'openai', secret: secret('inactive') });
      await ds.query('UPDATE credentials SET is_active = false WHERE id = $1', [id]);
      await first.store.invalidate(id);
      const inactive = await injectedHeaders(first, id).catch((e: unknown) => e);
      expect((inactive as GatewayError).code).toBe(ErrorCode.CredentialMissing);

      const sigv4 = await create({ name: `aws-${randomUUID()}`, provider: 'bedrock', secret: secret('AKIA') + ':wJalr' });
      const error = await injectedHeaders(first, sigv4).catch((e: unknown) => e);
      expect((error as GatewayError).code).toBe(ErrorCode.InvalidConfig);
      expect((error as GatewayError).message).toMatch(/SigV4 signing is not available yet/);
    });
  });

  describe('master-key rotation of credentials', () => {
    it('re-wraps every credential under the new key, refreshes the caches, and secrets still inject', async () => {
      const value = secret('mk');
      const id = await create({ name: `mk-${randomUUID()}`, provider: 'openai', secret: value });
      expect((await first.store.get(id))?.sealed.kekId).toBe(kekIdOf(KEY_A));
      const liveIds: { id: string }[] = await ds.query('SELECT id FROM credentials WHERE deleted_at IS NULL');

      await first.close();
      await second.close();
      const rotated = await gateway(KEY_B, KEY_A);
      try {
        const rotation = rotated.app.get(MasterKeyRotationService);
        expect((await rotation.status()).rows_by_kek_id[kekIdOf(KEY_A)]).toBeGreaterThan(liveIds.length - 1);
        // Cached under the old key on this instance (L1), then re-wrapped: the hook invalidates it.
        expect((await rotated.store.get(id))?.sealed.kekId).toBe(kekIdOf(KEY_A));
        await rotation.rotate();
        await rotation.idle();
        const status = await rotation.status();
        expect(Object.keys(status.rows_by_kek_id)).toEqual([kekIdOf(KEY_B)]);
        expect(status.rewrap.state).toBe('done');
        expect((await rotated.store.get(id))?.sealed.kekId).toBe(kekIdOf(KEY_B));
        expect((await injectedHeaders(rotated, id)).headers).toEqual({ authorization: `Bearer ${value}` });
        expect((await call('GET', `/credentials/${id}`, undefined, {}, rotated)).body.version).toBe(1);
      } finally {
        await rotated.close();
      }
      const onlyNew = await gateway(KEY_B);
      try {
        expect((await injectedHeaders(onlyNew, id)).headers).toEqual({ authorization: `Bearer ${value}` });
      } finally {
        await onlyNew.close();
      }
      first = await gateway(KEY_B);
      second = await gateway(KEY_B);
    });
  });

  it('never put a secret into a response body or a log line', () => {
    expect(secrets.length).toBeGreaterThan(20);
    const haystack = bodies.join('\n') + '\n' + logs.join('');
    for (const value of secrets) {
      expect(haystack).not.toContain(value);
      expect(haystack).not.toContain(Buffer.from(value).toString('base64'));
    }
    expect(logs.some((line) => line.includes('Credential created'))).toBe(true);
  });
});
