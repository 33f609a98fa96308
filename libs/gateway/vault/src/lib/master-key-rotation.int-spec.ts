import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Client } from 'pg';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ConfigError, CoreModule, ErrorCode, GatewayError, loadConfig } from '@ailink/gateway-core';
import { SnakeNamingStrategy, runMigrations } from '@ailink/gateway-database';
import { KeyValueStore, RedisModule } from '@ailink/gateway-redis';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { TEST_REDIS_URL, createScratchDatabase } from '@ailink/testing';
import { EncryptedRowsRepository } from './encrypted-rows.repository';
import { EncryptedTableRegistry } from './encrypted-table.registry';
import { SystemStateEntity } from './entities/system-state.entity';
import { KEK_HEARTBEAT_TTL_SECS, KekHeartbeatService, kekHeartbeatKey } from './kek-heartbeat.service';
import { kekIdOf } from './key-ring';
import { MasterKeyRotationService, REWRAP_LOCK_KEY, type RewrapProgress } from './master-key-rotation.service';
import type { SealedSecret } from './sealed-secret';
import { VaultModule } from './vault.module';
import { VaultService } from './vault.service';

const DEFAULT_PROJECT = '00000000-0000-0000-0000-000000000001';
const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const KEY_C = randomBytes(32);
const A = kekIdOf(KEY_A);
const B = kekIdOf(KEY_B);

interface Instance {
  module: TestingModule;
  vault: VaultService;
  rotation: MasterKeyRotationService;
  heartbeat: KekHeartbeatService;
  store: KeyValueStore;
  close(): Promise<void>;
}

/**
 * Master-key rotation against a scratch PostgreSQL database (the re-wrap, the advisory lock and
 * `active_kek_id` are database-wide) and a per-run Redis prefix shared by the "instances".
 */
describe('master-key rotation (PostgreSQL + Redis)', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  let prefix: string;
  const open: Instance[] = [];

  /** One gateway instance with the vault: its own pool, Redis connections and heartbeat. */
  async function instance(
    current: Buffer,
    previous?: Buffer,
    options: { rotateOnStart?: boolean; init?: boolean } = {},
  ): Promise<Instance> {
    const config = loadConfig(
      {
        DATABASE_URL: scratch.url,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_MASTER_KEY: current.toString('hex'),
        AILINK_MASTER_KEY_PREVIOUS: previous?.toString('hex'),
        AILINK_MASTER_KEY_ROTATE_ON_START: options.rotateOnStart ? 'true' : 'false',
        AILINK_ADMIN_KEY: 'vault-test-admin-key-0123456789',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-vault-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    const module = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot(config, pino({ level: 'silent' })),
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: scratch.url,
          entities: [SystemStateEntity],
          namingStrategy: new SnakeNamingStrategy(),
          synchronize: false,
          extra: { max: 4 },
        }),
        RedisModule.forRoot({ url: TEST_REDIS_URL, keyPrefix: prefix }),
        VaultModule,
      ],
    }).compile();
    const registry = module.get(EncryptedTableRegistry);
    registry.register({ format: 'columns', table: 'credentials', liveCondition: '"deleted_at" IS NULL' });
    registry.register({ format: 'compact', table: 'test_secrets', column: 'value_enc', keyColumns: ['name'] });
    const result: Instance = {
      module,
      vault: module.get(VaultService),
      rotation: module.get(MasterKeyRotationService),
      heartbeat: module.get(KekHeartbeatService),
      store: module.get(KeyValueStore),
      close: async () => {
        open.splice(open.indexOf(result), 1);
        await module.close();
      },
    };
    open.push(result);
    if (options.init !== false) await module.init();
    return result;
  }

  async function insertCredentials(vault: VaultService, count: number, options: { deleted?: boolean } = {}): Promise<string[]> {
    const ids: string[] = [];
    const columns: Record<'dek' | 'dekNonce' | 'secret' | 'secretNonce' | 'kek', unknown[]> = {
      dek: [],
      dekNonce: [],
      secret: [],
      secretNonce: [],
      kek: [],
    };
    for (let i = 0; i < count; i++) {
      const id = randomUUID();
      ids.push(id);
      const sealed = vault.seal(Buffer.from(`secret-${id}`));
      columns.dek.push(sealed.encryptedDek);
      columns.dekNonce.push(sealed.dekNonce);
      columns.secret.push(sealed.encryptedSecret);
      columns.secretNonce.push(sealed.secretNonce);
      columns.kek.push(sealed.kekId);
    }
    await ds.query(
      `INSERT INTO credentials (id, project_id, name, provider, injection_mode, injection_header,
         encrypted_dek, dek_nonce, encrypted_secret, secret_nonce, kek_id, is_active, deleted_at)
       SELECT u.id, $1, 'cred-' || u.id, 'openai', 'bearer', 'Authorization', u.dek, u.dek_nonce, u.secret, u.secret_nonce, u.kek, $8, $9
       FROM unnest($2::uuid[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::text[]) AS u(id, dek, dek_nonce, secret, secret_nonce, kek)`,
      [
        DEFAULT_PROJECT,
        ids,
        columns.dek,
        columns.dekNonce,
        columns.secret,
        columns.secretNonce,
        columns.kek,
        !options.deleted,
        options.deleted ? new Date() : null,
      ],
    );
    return ids;
  }

  async function credentialRows(): Promise<(SealedSecret & { id: string })[]> {
    const rows: { id: string; encrypted_dek: Buffer; dek_nonce: Buffer; encrypted_secret: Buffer; secret_nonce: Buffer; kek_id: string }[] =
      await ds.query('SELECT id, encrypted_dek, dek_nonce, encrypted_secret, secret_nonce, kek_id FROM credentials ORDER BY id');
    return rows.map((r) => ({
      id: r.id,
      encryptedDek: r.encrypted_dek,
      dekNonce: r.dek_nonce,
      encryptedSecret: r.encrypted_secret,
      secretNonce: r.secret_nonce,
      kekId: r.kek_id,
    }));
  }

  async function progress(): Promise<RewrapProgress | null> {
    const rows: { value: RewrapProgress }[] = await ds.query(`SELECT value FROM system_state WHERE key = 'kek_rewrap'`);
    return rows[0]?.value ?? null;
  }

  async function expectGatewayError(promise: Promise<unknown>, code: ErrorCode): Promise<GatewayError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe(code);
    return error as GatewayError;
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase('ailink_vault');
    ds = new DataSource({ type: 'postgres', url: scratch.url, migrations: ALL_MIGRATIONS, extra: { max: 2 } });
    await ds.initialize();
    await runMigrations(ds);
    await ds.query('CREATE TABLE test_secrets (name text PRIMARY KEY, value_enc bytea)');
  });

  beforeEach(async () => {
    prefix = `t:vault:${randomUUID().slice(0, 12)}:`;
    await ds.query('DELETE FROM credentials');
    await ds.query('DELETE FROM test_secrets');
    await ds.query('DELETE FROM system_state');
  });

  afterEach(async () => {
    while (open.length) await open[0].close();
  });

  afterAll(async () => {
    await ds?.destroy();
    await scratch?.drop();
  });

  it('reports the keys, rows per kek_id and an idle re-wrap; 422 without a previous key', async () => {
    const a = await instance(KEY_A);
    await insertCredentials(a.vault, 3);
    const status = await a.rotation.status();
    expect(status).toEqual({
      current_kek_id: A,
      previous_kek_id: null,
      active_kek_id: A,
      rows_by_kek_id: { [A]: 3 },
      rewrap: { state: 'idle', rewrapped: 0, remaining: 0, started_at: null, finished_at: null, error: null },
    });
    await expectGatewayError(a.rotation.rotate(), ErrorCode.InvalidConfig);
  });

  it('publishes a heartbeat with the loaded kek_ids (TTL 30 s) and withdraws it on shutdown', async () => {
    const b = await instance(KEY_B, KEY_A);
    const raw = await b.store.get(kekHeartbeatKey(b.heartbeat.instanceId));
    expect(JSON.parse(raw ?? '{}')).toMatchObject({ instance_id: b.heartbeat.instanceId, kek_ids: [B, A] });
    const ttl = await b.store.pttl(kekHeartbeatKey(b.heartbeat.instanceId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(KEK_HEARTBEAT_TTL_SECS * 1000);
    const store = b.store;
    const id = b.heartbeat.instanceId;
    const other = await instance(KEY_A);
    expect((await other.heartbeat.liveInstances()).map((h) => h.instance_id).sort()).toEqual([id, other.heartbeat.instanceId].sort());
    await b.close();
    expect(await other.store.get(kekHeartbeatKey(id))).toBeNull();
    expect((await other.heartbeat.liveInstances()).map((h) => h.instance_id)).toEqual([other.heartbeat.instanceId]);
    expect(store).toBeDefined();
  });

  it('re-wraps every row under the previous key with the current one; secrets still open; running twice is a no-op', async () => {
    const a = await instance(KEY_A);
    await insertCredentials(a.vault, 1203);
    await insertCredentials(a.vault, 2, { deleted: true });
    for (let i = 0; i < 7; i++) {
      await ds.query('INSERT INTO test_secrets (name, value_enc) VALUES ($1, $2)', [
        `s${i}`,
        a.vault.sealCompact(Buffer.from(`compact-${i}`)),
      ]);
    }
    await ds.query(`INSERT INTO test_secrets (name, value_enc) VALUES ('empty', NULL)`);
    const before = await credentialRows();
    await a.close();

    const b = await instance(KEY_B, KEY_A);
    // Until the rotate call switches it, new secrets are still sealed with the key every instance holds (§8.3).
    expect(b.vault.sealingKekId).toBe(A);
    let status = await b.rotation.status();
    expect(status.rows_by_kek_id).toEqual({ [A]: 1212 });
    expect(status.rewrap.remaining).toBe(1212);

    status = await b.rotation.rotate();
    expect(status.active_kek_id).toBe(B);
    expect(status.rewrap.state).toBe('running');
    expect(b.vault.sealingKekId).toBe(B);
    await b.rotation.idle();

    status = await b.rotation.status();
    expect(status.rows_by_kek_id).toEqual({ [B]: 1212 });
    expect(status.rewrap).toMatchObject({ state: 'done', rewrapped: 1212, remaining: 0, error: null });
    expect(status.rewrap.started_at).toEqual(expect.any(String));
    expect(status.rewrap.finished_at).toEqual(expect.any(String));

    const after = await credentialRows();
    expect(after).toHaveLength(before.length);
    const onlyB = await instance(KEY_B);
    after.forEach((row, i) => {
      expect(row.kekId).toBe(B);
      expect(row.encryptedSecret.equals(before[i].encryptedSecret)).toBe(true);
      expect(row.encryptedDek.equals(before[i].encryptedDek)).toBe(false);
      expect(onlyB.vault.open(row).toString()).toBe(`secret-${row.id}`);
    });
    const compact: { name: string; value_enc: Buffer }[] = await ds.query(
      `SELECT name, value_enc FROM test_secrets WHERE value_enc IS NOT NULL ORDER BY name`,
    );
    expect(compact.map((r) => onlyB.vault.openCompact(r.value_enc).toString())).toEqual(compact.map((r) => `compact-${r.name.slice(1)}`));

    // Twice: nothing left to do, nothing changes (an instance that already dropped the previous key does not block it).
    await b.rotation.rotate();
    await b.rotation.idle();
    expect(await credentialRows()).toEqual(after);
    expect((await b.rotation.status()).rewrap).toMatchObject({ state: 'done', rewrapped: 0, remaining: 0 });
  });

  it('keeps passing after the switch while other instances may still seal with the previous key', async () => {
    const a = await instance(KEY_A);
    await insertCredentials(a.vault, 3);
    await a.close();
    const lagging = await instance(KEY_B, KEY_A);
    const b = await instance(KEY_B, KEY_A);
    expect(lagging.vault.sealingKekId).toBe(A);
    b.rotation.settleMs = 1500;
    await b.rotation.rotate();
    // The other instance has not seen the switch yet: it seals one more row under A.
    await insertCredentials(lagging.vault, 1);
    await b.rotation.idle();
    const rows = await credentialRows();
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.kekId === B)).toBe(true);
    // Its next heartbeat adopts the new active key.
    await lagging.heartbeat.beat();
    expect(lagging.vault.sealingKekId).toBe(B);
  });

  it('resumes an interrupted re-wrap (failed run, then a crashed one picked up at startup)', async () => {
    const a = await instance(KEY_A);
    await insertCredentials(a.vault, 260);
    await a.close();

    const b = await instance(KEY_B, KEY_A);
    b.rotation.batchSize = 50;
    const rows = b.module.get(EncryptedRowsRepository);
    const update = rows.updateGuarded.bind(rows);
    let calls = 0;
    const spy = jest.spyOn(rows, 'updateGuarded').mockImplementation(async (...args) => {
      if (++calls > 120) throw new Error('simulated crash');
      return update(...args);
    });
    await b.rotation.rotate();
    await b.rotation.idle();
    spy.mockRestore();
    const failed = await progress();
    expect(failed).toMatchObject({ state: 'failed', rewrapped: 100, error: 'simulated crash' });
    expect((await b.rotation.status()).rows_by_kek_id).toEqual({ [A]: 160, [B]: 100 });

    // A process that died mid-run leaves `running` behind with its lock released.
    await ds.query(`UPDATE system_state SET value = value || '{"state":"running","error":null}'::jsonb WHERE key = 'kek_rewrap'`);
    await b.close();
    const c = await instance(KEY_B, KEY_A);
    await c.rotation.idle();
    expect(await progress()).toMatchObject({ state: 'done', rewrapped: 260, remaining: 0, started_at: failed?.started_at });
    expect((await c.rotation.status()).rows_by_kek_id).toEqual({ [B]: 260 });
    const onlyB = await instance(KEY_B);
    for (const row of await credentialRows()) expect(onlyB.vault.open(row).toString()).toBe(`secret-${row.id}`);
  });

  it('answers 409 while another instance lacks a key, and while a re-wrap holds the lock', async () => {
    const a = await instance(KEY_A);
    await insertCredentials(a.vault, 5);
    const b = await instance(KEY_B, KEY_A);
    const error = await expectGatewayError(b.rotation.rotate(), ErrorCode.Conflict);
    expect(error.message).toContain(a.heartbeat.instanceId);
    // Nothing switched: sealing stays on the old key everywhere.
    expect((await b.rotation.status()).active_kek_id).toBe(A);
    await a.close();

    const holder = new Client({ connectionString: scratch.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [REWRAP_LOCK_KEY]);
      await expectGatewayError(b.rotation.rotate(), ErrorCode.Conflict);
      await holder.query('SELECT pg_advisory_unlock($1)', [REWRAP_LOCK_KEY]);
    } finally {
      await holder.end();
    }
    await b.rotation.rotate();
    await b.rotation.idle();
    expect((await b.rotation.status()).rows_by_kek_id).toEqual({ [B]: 5 });
  });

  it('re-wraps at startup with AILINK_MASTER_KEY_ROTATE_ON_START', async () => {
    const a = await instance(KEY_A);
    await insertCredentials(a.vault, 4);
    await a.close();
    const b = await instance(KEY_B, KEY_A, { rotateOnStart: true });
    await b.rotation.idle();
    expect((await b.rotation.status()).rows_by_kek_id).toEqual({ [B]: 4 });
    expect(await progress()).toMatchObject({ state: 'done', rewrapped: 4, trigger: 'startup' });
  });

  it('refuses to start when a live row is sealed under a key it does not hold (deleted rows do not count)', async () => {
    const a = await instance(KEY_A);
    await insertCredentials(a.vault, 2, { deleted: true });
    await a.close();
    const c1 = await instance(KEY_C);
    await c1.close();

    const a2 = await instance(KEY_A);
    await insertCredentials(a2.vault, 1);
    await a2.close();
    // Startup (what `init()` runs at bootstrap) refuses: the error reaches main.ts as one clear line.
    const c2 = await instance(KEY_C, undefined, { init: false });
    const error = await c2.module
      .get(VaultModule)
      .onApplicationBootstrap()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^Invalid configuration: AILINK_MASTER_KEY does not match 1 stored secret\(s\) sealed under kek_id/,
    );
    expect((error as Error).message).toContain(A);
    expect((error as Error).message).not.toContain(KEY_A.toString('hex'));
    // With the old key as the previous one, it starts.
    await c2.close();
    await instance(KEY_C, KEY_A);
  });
});
