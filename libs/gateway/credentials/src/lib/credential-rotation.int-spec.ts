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
import pino from 'pino';
import { Client } from 'pg';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { DEFAULT_PROJECT_ID, type GatewayEvent } from '@ailink/shared-contracts';
import { CoreModule, GatewayExceptionFilter, createValidationPipe, loadConfig, type Principal } from '@ailink/gateway-core';
import { ProjectScope, SnakeNamingStrategy, runMigrations } from '@ailink/gateway-database';
import { EventBus, type EventOrigin } from '@ailink/gateway-events';
import { ProxyContext } from '@ailink/gateway-proxy';
import { RedisModule } from '@ailink/gateway-redis';
import { MasterKeyRotationService, SystemStateEntity, VaultModule } from '@ailink/gateway-vault';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { TEST_REDIS_URL, createScratchDatabase, deleteRedisPrefix } from '@ailink/testing';
import { CredentialRotationScheduler, ROTATION_LOCK_KEY } from './credential-rotation.scheduler';
import { CredentialsModule } from './credentials.module';
import { CredentialEntity } from './entities/credential.entity';
import { RotationLogEntity } from './entities/rotation-log.entity';
import { InjectCredentialStage } from './inject-credential.stage';

@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}

@Global()
@Module({ providers: [ProjectScope], exports: [ProjectScope] })
class ProjectScopeModule {}

@Injectable()
class TestPrincipalGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ principal?: Principal }>();
    request.principal = { orgId: DEFAULT_PROJECT_ID, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-rot' };
    return true;
  }
}

interface Gateway {
  app: NestFastifyApplication;
  scheduler: CredentialRotationScheduler;
  events: { event: GatewayEvent; origin: EventOrigin }[];
  close(): Promise<void>;
}

type Row = Record<string, unknown>;

describe('credential rotation: events and the scheduled DEK refresh (PostgreSQL + Redis)', () => {
  const KEY_A = randomBytes(32);
  const KEY_B = randomBytes(32);
  const prefix = `t:credrot:${randomUUID().slice(0, 12)}:`;
  const logs: string[] = [];
  const secrets: string[] = [];
  /** Every event any instance of this test received, for the final leak scan. */
  const allEvents: GatewayEvent[] = [];
  let scratch: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  let gw: Gateway;
  let peer: Gateway;

  function secret(label: string): string {
    const value = `sk-${label}-${randomBytes(12).toString('hex')}`;
    secrets.push(value);
    return value;
  }

  async function gateway(current: Buffer, previous?: Buffer, env: Record<string, string> = {}): Promise<Gateway> {
    const config = loadConfig(
      {
        DATABASE_URL: scratch.url,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: prefix,
        AILINK_MASTER_KEY: current.toString('hex'),
        AILINK_MASTER_KEY_PREVIOUS: previous?.toString('hex'),
        AILINK_ADMIN_KEY: 'rotation-test-admin-key-0123',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-credrot-')),
        ...env,
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
    const events: Gateway['events'] = [];
    app.get(EventBus).subscribe((event, origin) => {
      events.push({ event, origin });
      allEvents.push(event);
    });
    return { app, scheduler: app.get(CredentialRotationScheduler), events, close: () => app.close() };
  }

  async function call(method: 'GET' | 'POST', url: string, body?: unknown, on = gw): Promise<{ status: number; body: any }> {
    const response = await on.app.inject({ method, url: `/api/v1${url}`, payload: body as object | undefined });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  }

  async function create(body: Record<string, unknown>): Promise<string> {
    const response = await call('POST', '/credentials', { provider: 'openai', ...body });
    expect(response.status).toBe(201);
    return response.body.id as string;
  }

  async function injected(on: Gateway, id: string): Promise<Record<string, string>> {
    const ctx = new ProxyContext(`req_${randomBytes(16).toString('hex')}`, 'POST', '/v1/x', {}, '127.0.0.1', '/v1/x');
    ctx.credentialId = id;
    await on.app.get(InjectCredentialStage).run(ctx);
    return { ...ctx.upstreamHeaders };
  }

  async function row(id: string): Promise<Row> {
    const [r] = await ds.query('SELECT version, last_rotated_at, encrypted_dek, encrypted_secret, kek_id FROM credentials WHERE id = $1', [
      id,
    ]);
    return r;
  }

  async function waitFor(predicate: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  const rotatedEvents = (on: Gateway, id: string) =>
    on.events.filter(
      (e) => e.event.event_type === 'credential_rotated' && (e.event.details as { credential_id: string }).credential_id === id,
    );

  beforeAll(async () => {
    scratch = await createScratchDatabase('ailink_credrot');
    ds = new DataSource({ type: 'postgres', url: scratch.url, migrations: ALL_MIGRATIONS, extra: { max: 2 } });
    await ds.initialize();
    await runMigrations(ds);
    gw = await gateway(KEY_A);
    peer = await gateway(KEY_A);
  });

  afterAll(async () => {
    await gw?.close();
    await peer?.close();
    await ds?.destroy();
    await scratch?.drop();
    await deleteRedisPrefix(prefix);
  });

  it('POST /credentials/{id}/rotate emits credential_rotated (trigger api) on every instance', async () => {
    const id = await create({ name: 'api-rotated', secret: secret('api') });
    const rotated = await call('POST', `/credentials/${id}/rotate`, { secret: secret('api2') });
    expect(rotated.status).toBe(200);
    await waitFor(() => rotatedEvents(peer, id).length === 1, 'the event on the other instance');
    expect(rotatedEvents(gw, id)).toEqual([
      {
        origin: 'local',
        event: {
          event_type: 'credential_rotated',
          event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          timestamp: expect.stringMatching(/Z$/),
          token_id: null,
          token_name: null,
          project_id: DEFAULT_PROJECT_ID,
          details: { credential_id: id, name: 'api-rotated', version: 2, trigger: 'api' },
        },
      },
    ]);
    expect(rotatedEvents(peer, id)[0]).toEqual({ origin: 'remote', event: rotatedEvents(gw, id)[0].event });
    // A DEK refresh through the API is the same event with the next version.
    await call('POST', `/credentials/${id}/rotate`);
    await waitFor(() => rotatedEvents(gw, id).length === 2, 'the second event');
    expect(rotatedEvents(gw, id)[1].event.details).toEqual({ credential_id: id, name: 'api-rotated', version: 3, trigger: 'api' });
  });

  it('accepts rotation settings on create and patch, and refuses a non-positive interval', async () => {
    const id = await create({ name: 'settings', secret: secret('settings'), rotation_enabled: true, rotation_interval_secs: 600 });
    expect((await call('GET', `/credentials/${id}`)).body).toMatchObject({ rotation_enabled: true, rotation_interval_secs: 600 });
    const patched = await gw.app.inject({ method: 'PATCH', url: `/api/v1/credentials/${id}`, payload: { rotation_interval_secs: 60 } });
    expect(JSON.parse(patched.body)).toMatchObject({ rotation_enabled: true, rotation_interval_secs: 60 });
    const zero = await gw.app.inject({ method: 'PATCH', url: `/api/v1/credentials/${id}`, payload: { rotation_interval_secs: 0 } });
    expect(zero.statusCode).toBe(422);
    // The database refuses it too (migration check), whatever the caller.
    await expect(ds.query('UPDATE credentials SET rotation_interval_secs = 0 WHERE id = $1', [id])).rejects.toThrow(
      /ck_credentials_rotation_interval/,
    );
  });

  it('refreshes the DEK of every due credential, once, with version + 1, a rotation_log row and an event', async () => {
    // Nothing else in this database may be due: switch off whatever earlier tests enabled.
    await ds.query('UPDATE credentials SET rotation_enabled = false');
    const dueValue = secret('due');
    const due = await create({ name: 'due', secret: dueValue, rotation_enabled: true, rotation_interval_secs: 3600 });
    const neverRotated = await create({ name: 'never', secret: secret('never'), rotation_enabled: true, rotation_interval_secs: 3600 });
    const notDue = await create({ name: 'not-due', secret: secret('notdue'), rotation_enabled: true, rotation_interval_secs: 3600 });
    const disabled = await create({ name: 'disabled', secret: secret('off'), rotation_enabled: false, rotation_interval_secs: 60 });
    const deleted = await create({ name: 'deleted', secret: secret('gone'), rotation_enabled: true, rotation_interval_secs: 60 });
    expect((await gw.app.inject({ method: 'DELETE', url: `/api/v1/credentials/${deleted}` })).statusCode).toBe(200);
    // Force them due: rotated (or created) two hours ago with an hourly interval.
    await ds.query(`UPDATE credentials SET last_rotated_at = now() - interval '2 hours' WHERE id = ANY($1::uuid[])`, [
      [due, disabled, deleted],
    ]);
    await ds.query(`UPDATE credentials SET created_at = now() - interval '2 hours' WHERE id = $1`, [neverRotated]);
    await ds.query(`UPDATE credentials SET last_rotated_at = now() - interval '30 minutes' WHERE id = $1`, [notDue]);
    expect(await injected(gw, due)).toEqual({ authorization: `Bearer ${dueValue}` });
    const before = await row(due);

    const result = await gw.scheduler.runOnce();
    expect(result).toEqual({ skipped: false, rotated: 2, failed: 0 });

    const after = await row(due);
    expect(after['version']).toBe(2);
    expect((after['encrypted_dek'] as Buffer).equals(before['encrypted_dek'] as Buffer)).toBe(false);
    expect((after['encrypted_secret'] as Buffer).equals(before['encrypted_secret'] as Buffer)).toBe(false);
    expect(Date.now() - (after['last_rotated_at'] as Date).getTime()).toBeLessThan(60_000);
    expect((await row(neverRotated))['version']).toBe(2);
    for (const id of [notDue, disabled, deleted]) expect((await row(id))['version']).toBe(1);
    // The same secret, now under a new data key; both instances see the new row (invalidation).
    expect(await injected(gw, due)).toEqual({ authorization: `Bearer ${dueValue}` });
    expect(await injected(peer, due)).toEqual({ authorization: `Bearer ${dueValue}` });

    const log = await ds.query(
      'SELECT credential_id, old_version, new_version, trigger, status, error FROM rotation_log WHERE credential_id = ANY($1::uuid[]) ORDER BY credential_id',
      [[due, neverRotated, notDue, disabled, deleted]],
    );
    expect(log).toEqual(
      [due, neverRotated].sort().map((id) => ({
        credential_id: id,
        old_version: 1,
        new_version: 2,
        trigger: 'schedule',
        status: 'success',
        error: null,
      })),
    );
    await waitFor(() => rotatedEvents(peer, due).length === 1 && rotatedEvents(peer, neverRotated).length === 1, 'the events');
    expect(rotatedEvents(gw, due)).toEqual([
      {
        origin: 'local',
        event: {
          event_type: 'credential_rotated',
          event_id: expect.any(String),
          timestamp: expect.any(String),
          token_id: null,
          token_name: null,
          project_id: DEFAULT_PROJECT_ID,
          details: { credential_id: due, name: 'due', version: 2, trigger: 'schedule' },
        },
      },
    ]);

    // Nothing is due any more: a second check rotates nothing.
    expect(await gw.scheduler.runOnce()).toEqual({ skipped: false, rotated: 0, failed: 0 });
    expect((await row(due))['version']).toBe(2);
  });

  it('runs on one instance at a time (pg_try_advisory_lock)', async () => {
    const id = await create({ name: 'locked', secret: secret('locked'), rotation_enabled: true, rotation_interval_secs: 60 });
    await ds.query(`UPDATE credentials SET last_rotated_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    const holder = new Client({ connectionString: scratch.url });
    await holder.connect();
    try {
      // Another instance is running a check: this one skips.
      await holder.query('SELECT pg_advisory_lock($1)', [ROTATION_LOCK_KEY]);
      expect(await gw.scheduler.runOnce()).toEqual({ skipped: true, rotated: 0, failed: 0 });
      expect((await row(id))['version']).toBe(1);
      await holder.query('SELECT pg_advisory_unlock($1)', [ROTATION_LOCK_KEY]);
    } finally {
      await holder.end();
    }
    // Two instances checking at the same moment rotate it once between them.
    const results = await Promise.all([gw.scheduler.runOnce(), peer.scheduler.runOnce()]);
    expect(results.reduce((n, r) => n + r.rotated, 0)).toBe(1);
    expect((await row(id))['version']).toBe(2);
  });

  it('runs the check by itself at startup and every AILINK_ROTATION_CHECK_INTERVAL seconds when enabled', async () => {
    const id = await create({ name: 'timer', secret: secret('timer'), rotation_enabled: true, rotation_interval_secs: 60 });
    await ds.query(`UPDATE credentials SET last_rotated_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    const timed = await gateway(KEY_A, undefined, { AILINK_ROTATION_ENABLED: 'true', AILINK_ROTATION_CHECK_INTERVAL: '1' });
    try {
      await waitFor(() => rotatedEvents(timed, id).length === 1, 'the startup check');
      await ds.query(`UPDATE credentials SET last_rotated_at = now() - interval '1 hour' WHERE id = $1`, [id]);
      await waitFor(() => rotatedEvents(timed, id).length === 2, 'the next check', 4_000);
      expect(rotatedEvents(timed, id).map((e) => (e.event.details as { trigger: string }).trigger)).toEqual(['schedule', 'schedule']);
    } finally {
      await timed.close();
    }
  });

  it('emits credential_rotated (trigger master_key_rotation) once per live credential on a master-key re-wrap', async () => {
    const live: { id: string; name: string; version: number }[] = await ds.query(
      'SELECT id, name, version FROM credentials WHERE deleted_at IS NULL ORDER BY id',
    );
    expect(live.length).toBeGreaterThan(5);
    // Every live instance must hold both keys before a re-wrap: restart them with the new key first.
    await gw.close();
    await peer.close();
    const rotatedGw = await gateway(KEY_B, KEY_A);
    try {
      const rotation = rotatedGw.app.get(MasterKeyRotationService);
      await rotation.rotate();
      await rotation.idle();
      await waitFor(
        () =>
          rotatedGw.events.filter((e) => (e.event.details as { trigger?: string }).trigger === 'master_key_rotation').length >= live.length,
        'one event per credential',
      );
      await new Promise((r) => setTimeout(r, 100));
      const events = rotatedGw.events
        .filter((e) => (e.event.details as { trigger?: string }).trigger === 'master_key_rotation')
        .map((e) => e.event);
      expect(
        events.map((e) => e.details).sort((x, y) => String((x as Row)['credential_id']).localeCompare(String((y as Row)['credential_id']))),
      ).toEqual(live.map((c) => ({ credential_id: c.id, name: c.name, version: c.version, trigger: 'master_key_rotation' })));
      expect(events.every((e) => e.project_id === DEFAULT_PROJECT_ID && e.token_id === null)).toBe(true);
    } finally {
      await rotatedGw.close();
      gw = await gateway(KEY_B);
      peer = await gateway(KEY_B);
    }
  });

  it('never put a secret into an event or a log line', () => {
    const haystack = JSON.stringify(allEvents) + logs.join('');
    expect(allEvents.length).toBeGreaterThan(10);
    expect(secrets.length).toBeGreaterThan(8);
    for (const value of secrets) {
      expect(haystack).not.toContain(value);
      expect(haystack).not.toContain(Buffer.from(value).toString('base64'));
    }
    expect(haystack).not.toContain(KEY_A.toString('hex'));
    expect(haystack).not.toContain(KEY_B.toString('hex'));
  });
});
