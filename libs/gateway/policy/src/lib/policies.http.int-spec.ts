import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { CoreModule, GatewayExceptionFilter, createValidationPipe, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { RedisModule } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { PolicyVersionEntity } from './entities/policy-version.entity';
import { PolicyEntity } from './entities/policy.entity';
import { PoliciesModule } from './policies.module';

@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}

interface Reply {
  status: number;
  body: Record<string, unknown> & {
    error?: { code: string; type: string; message: string; details?: { errors: { path: string; message: string }[] } };
  };
}

/**
 * The policy routes over HTTP (Fastify, the global pipe and error filter): request bodies are
 * validated strictly by the policy compiler, never dropped by the whitelisting pipe, and errors use
 * the documented envelope. The caller is an admin of one organisation (authentication is the auth
 * feature's, tested there).
 */
describe('policy routes over HTTP', () => {
  const keyPrefix = `polhttp${randomUUID().slice(0, 8)}:`;
  const orgId = randomUUID();
  const projectId = randomUUID();
  let app: NestFastifyApplication;

  async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<Reply> {
    const response = await app.inject({
      method,
      url: `/api/v1${url}`,
      ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as Reply['body']) : {} };
  }

  beforeAll(async () => {
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_MIGRATE_ON_START: 'false',
        AILINK_ADMIN_KEY: 'policies-http-admin-key-0123456789',
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-policies-http-')),
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
      providers: [{ provide: APP_FILTER, useClass: GatewayExceptionFilter }],
    })
    class HttpModule {}
    app = await NestFactory.create<NestFastifyApplication>(HttpModule, new FastifyAdapter(), { logger: false });
    app.setGlobalPrefix('api/v1');
    app.useGlobalPipes(createValidationPipe());
    const principal: Principal = { orgId, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'http-key' };
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', async (request) => {
        (request as unknown as { principal: Principal }).principal = principal;
      });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const ds = app.get(DataSource);
    await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, 'policies-http')`, [orgId]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'p')`, [projectId, orgId]);
  });

  afterAll(async () => {
    await app?.get(DataSource).query(`DELETE FROM organizations WHERE id = $1`, [orgId]);
    await app?.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('runs the CRUD and version routes', async () => {
    const created = await call('POST', '/policies', { name: 'http-1', project_id: projectId, rules: [{ then: { action: 'log' } }] });
    expect(created).toEqual({ status: 201, body: { id: expect.any(String), name: 'http-1', message: 'Policy created' } });
    const id = created.body['id'] as string;
    expect((await call('GET', `/policies/${id}`)).body).toMatchObject({
      id,
      project_id: projectId,
      version: 1,
      rules: [{ then: { action: 'log' } }],
    });
    expect(await call('PATCH', `/policies/${id}`, { mode: 'shadow' })).toEqual({
      status: 200,
      body: { id, name: 'http-1', message: 'Policy updated' },
    });
    expect(await call('PUT', `/policies/${id}`, { name: 'http-1b' })).toEqual({
      status: 200,
      body: { id, name: 'http-1b', message: 'Policy updated' },
    });
    const versions = await call('GET', `/policies/${id}/versions`);
    expect((versions.body as unknown as { version: number; name: string; mode: string }[]).map((v) => [v.version, v.name, v.mode])).toEqual(
      [
        [3, 'http-1b', 'shadow'],
        [2, 'http-1', 'shadow'],
        [1, 'http-1', 'enforce'],
      ],
    );
    const listed = await call('GET', `/policies?project_id=${projectId}`);
    expect((listed.body as unknown as { id: string }[]).map((p) => p.id)).toEqual([id]);
    expect(await call('POST', '/policies/validate', { name: 'v', project_id: projectId, rules: [] })).toEqual({
      status: 200,
      body: { valid: true },
    });
    expect(await call('DELETE', `/policies/${id}`)).toEqual({ status: 200, body: { id, deleted: true } });
    expect((await call('GET', `/policies?project_id=${projectId}`)).body).toEqual([]);
    expect((await call('GET', `/policies?project_id=${projectId}&include_inactive=1`)).body).toHaveLength(1);
  });

  it('answers an invalid document with the 422 validation_error envelope (unknown fields are refused, not dropped)', async () => {
    const reply = await call('POST', '/policies', {
      name: 'bad',
      project_id: projectId,
      surprise: true,
      rules: [
        { when: { field: 'request.method', op: 'not_in', value: ['GET'] }, then: [{ action: 'webhook', url: 'https://h.example.com' }] },
      ],
    });
    expect(reply).toEqual({
      status: 422,
      body: {
        error: {
          code: 'validation_error',
          type: 'invalid_request_error',
          message: 'policy has 3 problems',
          request_id: expect.any(String),
          details: {
            errors: [
              { path: '$.surprise', message: "unknown field 'surprise'" },
              { path: '$.rules[0].when.op', message: expect.stringMatching(/^unknown operator 'not_in'/) },
              { path: '$.rules[0].then[0].action', message: "action 'webhook' is not available yet" },
            ],
          },
        },
      },
    });
    expect((await call('POST', '/policies/validate', [])).status).toBe(422);
    expect((await call('GET', `/policies?project_id=${projectId}&include_inactive=1`)).body).toHaveLength(1);
  });

  it('answers 400 for a non-UUID id, 404 for an unknown one, 409 for a clash', async () => {
    expect((await call('GET', '/policies/nope')).body.error?.code).toBe('bad_request');
    expect((await call('PATCH', `/policies/${randomUUID()}`, { mode: 'shadow' })).body.error?.code).toBe('not_found');
    await call('POST', '/policies', { name: 'same', project_id: projectId, rules: [] });
    const clash = await call('POST', '/policies', { name: 'same', project_id: projectId, rules: [] });
    expect([clash.status, clash.body.error?.code]).toEqual([409, 'conflict']);
  });
});
