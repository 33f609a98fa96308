import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import type { ShadowViolation } from '@ailink/shared-contracts';
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
  body: any;
}

/**
 * `GET /policies/{id}/shadow-report` over HTTP against audit rows in PostgreSQL: counts per rule
 * within the time range and the policy's project, the documented defaults and errors, and the
 * partial GIN indexes the queries rely on.
 */
describe('policy shadow report', () => {
  const keyPrefix = `polshadow${randomUUID().slice(0, 8)}:`;
  const orgId = randomUUID();
  const projectId = randomUUID();
  const otherProjectId = randomUUID();
  let app: NestFastifyApplication;
  let ds: DataSource;
  let seq = 0;

  async function call(url: string): Promise<Reply> {
    const response = await app.inject({ method: 'GET', url: `/api/v1${url}` });
    return { status: response.statusCode, body: JSON.parse(response.body) };
  }

  async function audit(project: string, createdAt: Date, evaluated: string[], violations: ShadowViolation[]): Promise<void> {
    seq += 1;
    await ds.query(
      `INSERT INTO audit_logs (id, seq, project_id, created_at, request_id, method, path, policies_evaluated, shadow_violations, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, 'POST', '/v1/chat/completions', $6::jsonb, $7::jsonb, $8, $8)`,
      [
        randomUUID(),
        seq,
        project,
        createdAt,
        `req_${randomUUID().replace(/-/g, '')}`,
        JSON.stringify(evaluated.map((id) => ({ policy_id: id, policy: 'p', version: 1, mode: 'shadow', phase: 'pre', fired_rules: [] }))),
        JSON.stringify(violations),
        '0'.repeat(64),
      ],
    );
  }

  const violation = (policyId: string, ruleIndex: number, outcome: ShadowViolation['outcome'], actions = ['deny']): ShadowViolation => ({
    policy_id: policyId,
    policy: 'p',
    rule_index: ruleIndex,
    actions,
    outcome,
  });

  async function policy(name: string): Promise<string> {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/policies',
      payload: JSON.stringify({ name, mode: 'shadow', project_id: projectId, rules: [{ then: { action: 'deny' } }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(created.statusCode).toBe(201);
    return (JSON.parse(created.body) as { id: string }).id;
  }

  beforeAll(async () => {
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_MIGRATE_ON_START: 'false',
        AILINK_ADMIN_KEY: 'policies-shadow-admin-key-0123456789',
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-policies-shadow-')),
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
    const principal: Principal = { orgId, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'shadow-key' };
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', async (request) => {
        (request as unknown as { principal: Principal }).principal = principal;
      });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    ds = app.get(DataSource);
    await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, 'policies-shadow')`, [orgId]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'p'), ($3, $2, 'q')`, [projectId, orgId, otherProjectId]);
  });

  afterAll(async () => {
    await ds?.query(`DELETE FROM audit_logs WHERE project_id = ANY($1::uuid[])`, [[projectId, otherProjectId]]);
    await ds?.query(`DELETE FROM organizations WHERE id = $1`, [orgId]);
    await app?.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('counts, per rule, the requests each rule fired on and would have blocked, within the range', async () => {
    const id = await policy('shadow-report-1');
    const other = await policy('shadow-report-2');
    const base = new Date('2026-06-10T12:00:00Z');
    const at = (minutes: number): Date => new Date(base.getTime() + minutes * 60_000);
    // In range: 5 requests evaluated the policy; rule 0 fired on 3 (2 would block), rule 2 on 2 (1 would block).
    await audit(projectId, at(1), [id], [violation(id, 0, 'would_block'), violation(id, 2, 'would_fire', ['rate_limit'])]);
    await audit(projectId, at(2), [id, other], [violation(id, 0, 'would_block'), violation(other, 0, 'would_block')]);
    await audit(projectId, at(3), [id], [violation(id, 0, 'would_fire'), violation(id, 2, 'would_block', ['rate_limit'])]);
    await audit(projectId, at(4), [id], []);
    await audit(projectId, at(5), [id, other], [violation(other, 1, 'would_block')]);
    // Outside the range (to is exclusive), another project, or not evaluated at all.
    await audit(projectId, at(60), [id], [violation(id, 0, 'would_block')]);
    await audit(projectId, at(-1), [id], [violation(id, 0, 'would_block')]);
    await audit(otherProjectId, at(1), [id], [violation(id, 0, 'would_block')]);
    await audit(projectId, at(1), [], []);

    const from = base.toISOString();
    const to = at(60).toISOString();
    const report = await call(`/policies/${id}/shadow-report?from=${from}&to=${to}`);
    expect(report).toEqual({
      status: 200,
      body: {
        policy_id: id,
        from,
        to,
        total_requests: 5,
        would_have_fired: 3,
        by_rule: [
          { rule_index: 0, actions: ['deny'], count: 3, would_block: 2 },
          { rule_index: 2, actions: ['rate_limit'], count: 2, would_block: 1 },
        ],
      },
    });
    const second = await call(`/policies/${other}/shadow-report?from=${from}&to=${to}`);
    expect(second.body).toMatchObject({
      total_requests: 2,
      would_have_fired: 2,
      by_rule: [
        { rule_index: 0, count: 1, would_block: 1 },
        { rule_index: 1, count: 1, would_block: 1 },
      ],
    });
  });

  it('defaults to the last 24 hours', async () => {
    const id = await policy('shadow-report-3');
    await audit(projectId, new Date(Date.now() - 60_000), [id], [violation(id, 0, 'would_block')]);
    await audit(projectId, new Date(Date.now() - 25 * 3600_000), [id], [violation(id, 0, 'would_block')]);
    const before = Date.now();
    const report = await call(`/policies/${id}/shadow-report`);
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ total_requests: 1, would_have_fired: 1, by_rule: [{ rule_index: 0, count: 1, would_block: 1 }] });
    const span = Date.parse(report.body.to) - Date.parse(report.body.from);
    expect(span).toBe(86_400_000);
    expect(Date.parse(report.body.to)).toBeGreaterThanOrEqual(before - 1000);
    const empty = await call(`/policies/${id}/shadow-report?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`);
    expect(empty.body).toEqual({
      policy_id: id,
      from: '2020-01-01T00:00:00.000Z',
      to: '2020-01-02T00:00:00.000Z',
      total_requests: 0,
      would_have_fired: 0,
      by_rule: [],
    });
  });

  it('answers 400 for a non-UUID id, 404 for an unknown policy and 422 for a bad range', async () => {
    expect((await call('/policies/not-a-uuid/shadow-report')).status).toBe(400);
    const unknown = await call(`/policies/${randomUUID()}/shadow-report`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    const id = await policy('shadow-report-4');
    const bad = await call(`/policies/${id}/shadow-report?from=yesterday&to=2026-01-01`);
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.errors).toEqual([
      { path: '$.from', message: 'from must be an RFC 3339 date-time' },
      { path: '$.to', message: 'to must be an RFC 3339 date-time' },
    ]);
    const backwards = await call(`/policies/${id}/shadow-report?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`);
    expect([backwards.status, backwards.body.error.details.errors[0].path]).toEqual([422, '$.to']);
  });

  it('has partial GIN indexes matching the report queries’ containment filters', async () => {
    const explain = async (column: 'shadow_violations' | 'policies_evaluated'): Promise<string> =>
      ds.transaction(async (m) => {
        // On a small test table the planner prefers other paths; leave it only the bitmap scans the partial index allows.
        await m.query('SET LOCAL enable_seqscan = off');
        await m.query('SET LOCAL enable_indexscan = off');
        const rows = (await m.query(`EXPLAIN SELECT count(*) FROM audit_logs WHERE ${column} <> '[]'::jsonb AND ${column} @> $1::jsonb`, [
          JSON.stringify([{ policy_id: randomUUID() }]),
        ])) as { 'QUERY PLAN': string }[];
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    expect(await explain('shadow_violations')).toMatch(/Bitmap Index Scan on \S*shadow_violations\S*/);
    expect(await explain('policies_evaluated')).toMatch(/Bitmap Index Scan on \S*policies_evaluated\S*/);
  });
});
