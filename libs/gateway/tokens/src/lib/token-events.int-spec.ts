import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import type { GatewayEvent } from '@ailink/shared-contracts';
import { CoreModule, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { EventBus, type EventOrigin } from '@ailink/gateway-events';
import { RedisModule } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { TokenEntity } from './entities/token.entity';
import { TokensModule } from './tokens.module';
import { TokensService } from './tokens.service';

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
  events: { event: GatewayEvent; origin: EventOrigin }[];
  dataSource: DataSource;
}

async function startInstance(keyPrefix: string): Promise<Instance> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'token-events-admin-key-0123456789',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-token-events-')),
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
  const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false, abortOnError: false });
  const events: Instance['events'] = [];
  app.get(EventBus).subscribe((event, origin) => void events.push({ event, origin }));
  return { app, tokens: app.get(TokensService), events, dataSource: app.get(DataSource) };
}

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('token events (PostgreSQL + Redis, two instances)', () => {
  const keyPrefix = `tokev${randomUUID().slice(0, 8)}:`;
  const org = randomUUID();
  const project = randomUUID();
  const admin: Principal = { orgId: org, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'key-ev' };
  const secrets: string[] = [];
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    a = await startInstance(keyPrefix);
    b = await startInstance(keyPrefix);
    await a.dataSource.query(`INSERT INTO organizations (id, name) VALUES ($1, 'token-events')`, [org]);
    await a.dataSource.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'events')`, [project, org]);
  });

  afterAll(async () => {
    await a?.dataSource.query(`DELETE FROM organizations WHERE id = $1`, [org]);
    await a?.app.close();
    await b?.app.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('emits token_created with the public id, on this instance and the other', async () => {
    const created = await a.tokens.create(admin, {
      name: 'events-agent',
      upstream_url: 'https://api.example.com',
      project_id: project,
    } as never);
    secrets.push(created.token_id);
    const expected = {
      event_type: 'token_created',
      event_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      timestamp: expect.stringMatching(/Z$/),
      token_id: created.id,
      token_name: 'events-agent',
      project_id: project,
      details: { token_id: created.id, name: 'events-agent', created_by: 'key-ev' },
    };
    await waitFor(() => b.events.some((e) => e.event.event_type === 'token_created'), 'token_created on the other instance');
    const local = a.events.filter((e) => e.event.event_type === 'token_created');
    expect(local).toEqual([{ event: expected, origin: 'local' }]);
    expect(b.events.filter((e) => e.event.event_type === 'token_created')).toEqual([{ event: local[0].event, origin: 'remote' }]);
    expect(Date.now() - Date.parse(local[0].event.timestamp)).toBeLessThan(10_000);
  });

  it('emits token_revoked once, even when revoked by its secret and revoked again', async () => {
    const created = await a.tokens.create(admin, {
      name: 'to-revoke',
      upstream_url: 'https://api.example.com',
      project_id: project,
    } as never);
    secrets.push(created.token_id);
    await a.tokens.revoke(admin, created.token_id);
    await a.tokens.revoke(admin, created.id);
    await waitFor(() => b.events.some((e) => e.event.event_type === 'token_revoked'), 'token_revoked on the other instance');
    await new Promise((r) => setTimeout(r, 100));
    const revoked = a.events.filter((e) => e.event.event_type === 'token_revoked');
    expect(revoked).toEqual([
      {
        origin: 'local',
        event: {
          event_type: 'token_revoked',
          event_id: expect.any(String),
          timestamp: expect.any(String),
          token_id: created.id,
          token_name: 'to-revoke',
          project_id: project,
          details: { token_id: created.id, name: 'to-revoke', revoked_by: 'key-ev' },
        },
      },
    ]);
    expect(b.events.filter((e) => e.event.event_type === 'token_revoked')).toHaveLength(1);
  });

  it('never put a bearer secret into an event', () => {
    const all = JSON.stringify([...a.events, ...b.events]);
    expect(a.events.length).toBeGreaterThanOrEqual(3);
    expect(all).not.toContain('ailink_v1_');
    for (const secret of secrets) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(secret.slice(-32));
    }
  });
});
