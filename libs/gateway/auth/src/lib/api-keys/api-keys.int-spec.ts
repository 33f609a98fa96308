import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import type { Counter } from 'prom-client';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { READ_SCOPES, type CreateApiKeyRequest } from '@ailink/shared-contracts';
import { CoreModule, ErrorCode, GatewayError, METRICS_REGISTRY, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { RedisModule } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { AuthModule } from '../auth.module';
import { ApiKeyEntity } from '../entities/api-key.entity';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeyUsage } from './api-key-usage';
import { ApiKeysService } from './api-keys.service';

/** Stand-in for the table the projects feature owns: only its id, so that the FK resolves. */
@Entity({ name: 'organizations' })
class OrganizationRow {
  @PrimaryColumn('uuid') id!: string;
}

interface Instance {
  app: INestApplicationContext;
  keys: ApiKeysService;
  auth: ApiKeyAuthenticator;
  usage: ApiKeyUsage;
  dataSource: DataSource;
}

/** One gateway instance: its own pools, L1 and subscriber; shared PostgreSQL, Redis and key prefix. */
async function startInstance(keyPrefix: string): Promise<Instance> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'apikeys-int-admin-key-0123456789',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-apikeys-int-')),
      // Long L1 TTL: whatever a test sees change, it sees through invalidation, not expiry.
      AILINK_L1_TTL_MS: '600000',
    },
    { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
  );
  @Module({
    imports: [
      CoreModule.forRoot(config, pino({ level: 'silent' })),
      DatabaseModule.forRoot({ entities: [ApiKeyEntity, OrganizationRow], migrations: [] }),
      RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
      AuthModule,
    ],
  })
  class InstanceModule {}
  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false });
  return {
    app,
    keys: app.get(ApiKeysService),
    auth: app.get(ApiKeyAuthenticator),
    usage: app.get(ApiKeyUsage),
    dataSource: app.get(DataSource),
  };
}

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const KEY = /^ak_live_[0-9a-f]{8}_[0-9a-f]{32}$/;
const API_KEY_FIELDS = [
  'created_at',
  'expires_at',
  'id',
  'is_active',
  'key_prefix',
  'last_used_at',
  'name',
  'org_id',
  'role',
  'scopes',
  'team_id',
  'user_id',
];

function queryCount(): number {
  const counter = METRICS_REGISTRY.getSingleMetric('ailink_db_queries_total') as Counter | undefined;
  const values = (counter as unknown as { hashMap?: Record<string, { value: number }> } | undefined)?.hashMap ?? {};
  return Object.values(values).reduce((sum, v) => sum + v.value, 0);
}

describe('API keys (PostgreSQL + Redis, two gateway instances)', () => {
  const keyPrefix = `akint${randomUUID().slice(0, 8)}:`;
  let a: Instance;
  let b: Instance;
  const orgA = randomUUID();
  const orgB = randomUUID();
  const superadmin: Principal = { orgId: orgA, userId: null, role: 'superadmin', scopes: ['*'], authMethod: 'admin_key' };
  const adminA: Principal = { orgId: orgA, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-a' };
  const adminB: Principal = { orgId: orgB, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-b' };
  const memberA: Principal = {
    orgId: orgA,
    userId: null,
    role: 'member',
    scopes: ['keys:manage', 'tokens:read', 'audit:read'],
    authMethod: 'api_key',
    keyId: 'key-m',
  };

  const mint = (body: Partial<CreateApiKeyRequest>, principal: Principal = adminA) =>
    a.keys.create(principal, { name: 'automation', role: 'member', ...body } as never);

  beforeAll(async () => {
    a = await startInstance(keyPrefix);
    b = await startInstance(keyPrefix);
    await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, $3), ($2, $4)`, [
      orgA,
      orgB,
      `apikeys-int A ${orgA}`,
      `apikeys-int B ${orgB}`,
    ]);
  });

  afterAll(async () => {
    await a?.dataSource.query(`DELETE FROM organizations WHERE id = ANY($1::uuid[])`, [[orgA, orgB]]);
    await a?.app.close();
    await b?.app.close();
    await deleteRedisPrefix(keyPrefix);
  });

  describe('minting', () => {
    it('returns the key once; only its SHA-256 and a display prefix are stored', async () => {
      const created = await mint({ name: ' ci-deployer ', role: 'admin' });
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        key: expect.stringMatching(KEY),
        message: expect.stringContaining('shown only once'),
        name: 'ci-deployer',
        key_prefix: created.key.slice(0, 21),
        role: 'admin',
        scopes: ['*'],
        expires_at: null,
      });
      expect(created.key.startsWith(`ak_live_${orgA.slice(0, 8)}_`)).toBe(true);
      const [row] = await a.dataSource.query(`SELECT to_jsonb(k) AS row FROM api_keys k WHERE id = $1`, [created.id]);
      expect(row.row.key_hash).toBe(sha256(created.key));
      expect(JSON.stringify(row.row)).not.toContain(created.key.slice(-32));
      expect(row.row.created_by).toBe('key-a');
      expect(row.row.org_id).toBe(orgA);

      const listed = await a.keys.list(adminA);
      const item = listed.find((k) => k.id === created.id);
      expect(Object.keys(item ?? {}).sort()).toEqual(API_KEY_FIELDS);
      expect(JSON.stringify(listed)).not.toContain(created.key.slice(-32));
      expect(JSON.stringify(listed)).not.toContain(row.row.key_hash);
    });

    it('defaults scopes by role and keeps explicit ones, expiry and team', async () => {
      const readonly = await mint({ role: 'readonly' });
      expect(readonly.scopes).toEqual([...READ_SCOPES]);
      const member = await mint({ role: 'member' });
      expect(member.scopes).toEqual([]);
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const [{ id: team }] = await a.dataSource.query(`INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING id`, [
        orgA,
        `keys-team ${randomUUID()}`,
      ]);
      const scoped = await mint({ role: 'member', scopes: ['tokens:*', 'audit:read'], expires_at: expiresAt, team_id: team });
      expect(scoped.scopes).toEqual(['tokens:*', 'audit:read']);
      expect(scoped.expires_at).toBe(expiresAt);
      const listed = (await a.keys.list(adminA)).find((k) => k.id === scoped.id);
      expect(listed).toMatchObject({ team_id: team, role: 'member', is_active: true, last_used_at: null, expires_at: expiresAt });
      const principal = await a.auth.authenticate(bearer(scoped.key));
      expect(principal).toEqual({
        orgId: orgA,
        userId: null,
        role: 'member',
        scopes: ['tokens:*', 'audit:read'],
        authMethod: 'api_key',
        keyId: scoped.id,
        teamId: team,
      });
    });

    it('refuses unknown scopes, write scopes on readonly keys and past expiry with 422', async () => {
      const unknown = await rejection(mint({ scopes: ['tokens:read', 'tokens:delete', 'nope:*'] }));
      expect(unknown.code).toBe(ErrorCode.ValidationError);
      expect(unknown.details).toEqual({
        errors: [
          { path: '$.scopes[1]', message: 'unknown scope "tokens:delete"' },
          { path: '$.scopes[2]', message: 'unknown scope "nope:*"' },
        ],
      });
      const write = await rejection(mint({ role: 'readonly', scopes: ['tokens:read', 'keys:manage'] }));
      expect(write.code).toBe(ErrorCode.ValidationError);
      expect((await rejection(mint({ expires_at: '2001-01-01T00:00:00Z' }))).code).toBe(ErrorCode.ValidationError);
      expect(await a.keys.create(adminA, { name: 'ro', role: 'readonly', scopes: ['*'] })).toMatchObject({ scopes: ['*'] });
    });

    it('refuses role escalation with 403 role_escalation', async () => {
      const adminKey = await rejection(mint({ role: 'admin' }, memberA));
      expect(adminKey.code).toBe(ErrorCode.RoleEscalation);
      const wider = await rejection(mint({ role: 'member', scopes: ['tokens:write'] }, memberA));
      expect(wider.code).toBe(ErrorCode.RoleEscalation);
      expect(wider.message).toContain('tokens:write');
      const readonlyDefaults = await rejection(mint({ role: 'readonly' }, memberA));
      expect(readonlyDefaults.code).toBe(ErrorCode.RoleEscalation);
      // Within what the member holds, it may mint.
      const ok = await mint({ role: 'readonly', scopes: ['tokens:read', 'audit:read'] }, memberA);
      expect(ok.scopes).toEqual(['tokens:read', 'audit:read']);
    });

    it('mints in another organisation only for the super-admin', async () => {
      expect((await rejection(mint({ org_id: orgB }))).code).toBe(ErrorCode.NotFound);
      expect((await rejection(mint({ org_id: randomUUID() }, superadmin))).code).toBe(ErrorCode.NotFound);
      const inB = await mint({ org_id: orgB, role: 'admin' }, superadmin);
      expect(inB.key.startsWith(`ak_live_${orgB.slice(0, 8)}_`)).toBe(true);
      expect((await a.auth.authenticate(bearer(inB.key)))?.orgId).toBe(orgB);
      expect((await a.keys.list(adminB)).map((k) => k.id)).toContain(inB.id);
      expect((await a.keys.list(adminA)).map((k) => k.id)).not.toContain(inB.id);
      expect((await a.keys.list(superadmin, { org_id: orgB })).map((k) => k.id)).toContain(inB.id);
      expect((await rejection(a.keys.list(adminA, { org_id: orgB }))).code).toBe(ErrorCode.NotFound);
    });
  });

  describe('authentication', () => {
    it('answers 401 for malformed, unknown, revoked and expired keys; other bearers are not API keys', async () => {
      const malformed = await rejection(a.auth.authenticate(bearer('ak_live_nothex')));
      expect(malformed.code).toBe(ErrorCode.Unauthorized);
      const unknown = await rejection(a.auth.authenticate(bearer(`ak_live_${orgA.slice(0, 8)}_${'0'.repeat(32)}`)));
      expect(unknown.code).toBe(ErrorCode.Unauthorized);
      expect(await a.auth.authenticate(bearer('ailink_v1_00000000_tok_' + '0'.repeat(32)))).toBeUndefined();
      expect(await a.auth.authenticate({})).toBeUndefined();

      const soon = await mint({ expires_at: new Date(Date.now() + 60_000).toISOString() });
      expect(await a.auth.authenticate(bearer(soon.key))).toBeDefined();
      const later = await rejection(a.auth.authenticate(bearer(soon.key), Date.now() + 61_000));
      expect(later.code).toBe(ErrorCode.Unauthorized);
      expect(later.message).toBe(unknown.message);
    });

    it('serves repeated lookups from the cache: no database round trip per request', async () => {
      const created = await mint({ role: 'member', scopes: ['tokens:read'] });
      await b.auth.authenticate(bearer(created.key));
      const before = queryCount();
      for (let i = 0; i < 50; i++) expect((await b.auth.authenticate(bearer(created.key)))?.keyId).toBe(created.id);
      expect(queryCount() - before).toBe(0);
      // Unknown keys are negatively cached too: a spray costs one lookup per key, once.
      const guess = `ak_live_${orgA.slice(0, 8)}_${'ab'.repeat(16)}`;
      await rejection(b.auth.authenticate(bearer(guess)));
      const afterFirst = queryCount();
      for (let i = 0; i < 20; i++) await rejection(b.auth.authenticate(bearer(guess)));
      expect(queryCount() - afterFirst).toBe(0);
    });

    it('refuses a key revoked on instance A on instance B within 1 s (B had it cached)', async () => {
      const spare = await mint({ role: 'admin' });
      const created = await mint({ role: 'admin' });
      expect((await b.auth.authenticate(bearer(created.key)))?.role).toBe('admin');
      await a.keys.revoke(adminA, created.id);
      const deadline = Date.now() + 1000;
      let refused = false;
      while (!refused && Date.now() < deadline) {
        refused = await b.auth.authenticate(bearer(created.key)).then(
          () => false,
          (e: unknown) => e instanceof GatewayError && e.code === ErrorCode.Unauthorized,
        );
        if (!refused) await new Promise((r) => setTimeout(r, 20));
      }
      expect(refused).toBe(true);
      expect(await a.auth.authenticate(bearer(spare.key))).toBeDefined();
    });

    it('records last use in memory and writes it in one batch, never per request', async () => {
      const created = await mint({ role: 'member', scopes: ['tokens:read'] });
      await a.usage.flush();
      const usedAt = Date.now();
      const before = queryCount();
      for (let i = 0; i < 10; i++) await a.auth.authenticate(bearer(created.key), usedAt + i);
      // The first call loads the key (at most one L2 miss → one SELECT); uses write nothing.
      expect(queryCount() - before).toBeLessThanOrEqual(1);
      const [stored] = await a.dataSource.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [created.id]);
      expect(stored.last_used_at).toBeNull();
      // The list already shows the buffered time.
      expect((await a.keys.list(adminA)).find((k) => k.id === created.id)?.last_used_at).toBe(new Date(usedAt + 9).toISOString());

      const flushStart = queryCount();
      expect(await a.usage.flush()).toBeGreaterThanOrEqual(1);
      expect(queryCount() - flushStart).toBe(1);
      const [written] = await a.dataSource.query(`SELECT last_used_at, updated_at, created_at FROM api_keys WHERE id = $1`, [created.id]);
      expect(new Date(written.last_used_at).getTime()).toBe(usedAt + 9);
      // An older time flushed later by another instance never moves it backwards.
      b.usage.touch(created.id, usedAt - 60_000);
      await b.usage.flush();
      const [after] = await a.dataSource.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [created.id]);
      expect(new Date(after.last_used_at).getTime()).toBe(usedAt + 9);
    });
  });

  describe('revocation', () => {
    let org: string;
    let adminOfOrg: Principal;

    beforeEach(async () => {
      org = randomUUID();
      await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, $2)`, [org, `apikeys-int ${org}`]);
      adminOfOrg = { orgId: org, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'x' };
    });

    afterEach(async () => {
      await a.dataSource.query(`DELETE FROM organizations WHERE id = $1`, [org]);
    });

    it('never revokes the last active admin key (422 last_admin_key); idempotent otherwise', async () => {
      const first = await mint({ role: 'admin' }, adminOfOrg);
      const last = await rejection(a.keys.revoke(adminOfOrg, first.id));
      expect(last.code).toBe(ErrorCode.LastAdminKey);
      const second = await mint({ role: 'admin' }, adminOfOrg);
      await a.keys.revoke(adminOfOrg, first.id);
      await a.keys.revoke(adminOfOrg, first.id); // already revoked: still 204
      expect((await rejection(a.keys.revoke(adminOfOrg, second.id))).code).toBe(ErrorCode.LastAdminKey);
      // An expired admin key does not count as active.
      await a.dataSource.query(
        `INSERT INTO api_keys (org_id, name, key_hash, key_prefix, role, expires_at) VALUES ($1, 'old', $2, 'ak_live_x', 'admin', now() - interval '1 day')`,
        [org, sha256(randomUUID())],
      );
      expect((await rejection(a.keys.revoke(adminOfOrg, second.id))).code).toBe(ErrorCode.LastAdminKey);
      const listed = await a.keys.list(adminOfOrg);
      expect(listed.find((k) => k.id === first.id)?.is_active).toBe(false);
      expect(listed.find((k) => k.id === second.id)?.is_active).toBe(true);
    });

    it('lets exactly one of two concurrent revocations of the last two admin keys succeed', async () => {
      const x = await mint({ role: 'admin' }, adminOfOrg);
      const y = await mint({ role: 'admin' }, adminOfOrg);
      const results = await Promise.allSettled([a.keys.revoke(adminOfOrg, x.id), b.keys.revoke(adminOfOrg, y.id)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect((failed?.reason as GatewayError).code).toBe(ErrorCode.LastAdminKey);
      const [{ n }] = await a.dataSource.query(`SELECT count(*)::int AS n FROM api_keys WHERE org_id = $1 AND is_active`, [org]);
      expect(n).toBe(1);
    });

    it('lets only admins revoke admin keys (403); members revoke member keys', async () => {
      await mint({ role: 'admin' }, adminOfOrg);
      const admin2 = await mint({ role: 'admin' }, adminOfOrg);
      const member = await mint({ role: 'member', scopes: [] }, adminOfOrg);
      const memberCaller: Principal = { orgId: org, userId: null, role: 'member', scopes: ['keys:manage'], authMethod: 'api_key' };
      expect((await rejection(a.keys.revoke(memberCaller, admin2.id))).code).toBe(ErrorCode.Forbidden);
      await a.keys.revoke(memberCaller, member.id);
      expect((await a.keys.list(adminOfOrg)).find((k) => k.id === member.id)?.is_active).toBe(false);
    });

    it("answers 404 for unknown ids and another organisation's keys, 400 for non-UUID ids", async () => {
      const keep = await mint({ role: 'admin' }, adminOfOrg);
      const other = await mint({ role: 'member', scopes: [] }, adminOfOrg);
      expect((await rejection(a.keys.revoke(adminA, other.id))).code).toBe(ErrorCode.NotFound);
      expect((await rejection(a.keys.revoke(adminOfOrg, randomUUID()))).code).toBe(ErrorCode.NotFound);
      expect((await rejection(a.keys.revoke(adminOfOrg, 'abc'))).code).toBe(ErrorCode.BadRequest);
      expect((await a.keys.list(adminOfOrg)).find((k) => k.id === other.id)?.is_active).toBe(true);
      // The super-admin may act on any organisation.
      await a.keys.revoke(superadmin, other.id);
      expect((await a.keys.list(adminOfOrg)).find((k) => k.id === other.id)?.is_active).toBe(false);
      expect((await a.keys.list(adminOfOrg)).find((k) => k.id === keep.id)?.is_active).toBe(true);
    });
  });
});
