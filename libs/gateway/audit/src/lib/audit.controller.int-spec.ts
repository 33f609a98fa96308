import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import type { AuditDetail, AuditSummary } from '@ailink/shared-contracts';
import {
  AUTH_REQUIREMENT,
  CoreModule,
  GatewayError,
  ErrorCode,
  GatewayExceptionFilter,
  createValidationPipe,
  isAllowed,
  loadConfig,
  publicTokenId,
  registerHttpHooks,
  requestIdFrom,
  type AuthRequirement,
  type Principal,
} from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { ProxyContext } from '@ailink/gateway-proxy';
import { RedisKeyValueStore, RedisModule } from '@ailink/gateway-redis';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL } from '@ailink/testing';
import { AuditHook } from './audit.hook';
import { AuditMetrics } from './audit.metrics';
import { AuditModule } from './audit.module';
import { AuditRepository } from './audit.repository';
import { AuditWriter } from './audit.writer';
import { AuditStreamService } from './audit-stream.service';

const SECRET = 'ailink_v1_00000000_tok_' + 'c'.repeat(32);
const TOKEN_ID = publicTokenId(SECRET);

/**
 * Stands in for the auth feature's guard: the principal comes from test headers, and a route without
 * a declared rule is refused, like the real fail-closed guard.
 */
@Injectable()
class TestAuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_REQUIREMENT, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string>; principal?: Principal }>();
    const orgId = request.headers['x-test-org'];
    if (!orgId) throw new GatewayError(ErrorCode.Unauthorized, 'no credentials');
    const principal: Principal = {
      orgId,
      userId: null,
      role: (request.headers['x-test-role'] as Principal['role']) ?? 'member',
      scopes: (request.headers['x-test-scopes'] ?? 'audit:read').split(','),
      authMethod: 'api_key',
    };
    request.principal = principal;
    if (requirement?.kind !== 'scope') throw new GatewayError(ErrorCode.Forbidden, 'no rule');
    if (!isAllowed(principal, requirement.scope, requirement.adminOnly)) throw new GatewayError(ErrorCode.Forbidden, 'scope');
    return true;
  }
}

async function startApp(keyPrefix: string): Promise<NestFastifyApplication> {
  const config = loadConfig(
    {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      AILINK_REDIS_KEY_PREFIX: keyPrefix,
      AILINK_MIGRATE_ON_START: 'false',
      AILINK_ADMIN_KEY: 'audit-int-admin-key-0123456789',
      AILINK_MASTER_KEY: TEST_MASTER_KEY,
      AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-audit-int-')),
      AILINK_AUDIT_FLUSH_MS: '30',
      AILINK_ACCESS_LOG: 'false',
    },
    { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
  );
  const logger = pino({ level: 'silent' });
  @Module({
    imports: [
      CoreModule.forRoot(config, logger),
      DatabaseModule.forRoot({ entities: [], migrations: ALL_MIGRATIONS }),
      RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
      AuditModule,
    ],
    providers: [
      { provide: APP_GUARD, useClass: TestAuthGuard },
      { provide: APP_FILTER, useClass: GatewayExceptionFilter },
    ],
  })
  class TestAppModule {}
  const adapter = new FastifyAdapter({ genReqId: (req: IncomingMessage) => requestIdFrom(req.headers['x-request-id']) });
  registerHttpHooks(adapter.getInstance(), config);
  const app = await NestFactory.create<NestFastifyApplication>(TestAppModule, adapter, { logger: false });
  app.setGlobalPrefix('api/v1');
  app.useGlobalPipes(createValidationPipe());
  await app.init();
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

interface Seeded {
  orgId: string;
  projectA: string;
  projectB: string;
  otherOrg: string;
  otherProject: string;
}

async function seed(ds: DataSource): Promise<Seeded> {
  const s: Seeded = {
    orgId: randomUUID(),
    projectA: randomUUID(),
    projectB: randomUUID(),
    otherOrg: randomUUID(),
    otherProject: randomUUID(),
  };
  await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, 'audit-int'), ($2, 'audit-int-other')`, [s.orgId, s.otherOrg]);
  await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $4, 'a'), ($2, $4, 'b'), ($3, $5, 'c')`, [
    s.projectA,
    s.projectB,
    s.otherProject,
    s.orgId,
    s.otherOrg,
  ]);
  return s;
}

interface RequestShape {
  projectId: string;
  method?: string;
  path?: string;
  status?: number;
  model?: string;
  session?: string;
  tokenId?: string;
  logLevel?: 0 | 1 | 2;
}

/** A completed proxy request, as the proxy hands it to the completion hooks. */
function completedRequest(shape: RequestShape): ProxyContext {
  const path = shape.path ?? '/v1/chat/completions';
  const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${SECRET}`, 'x-api-key': 'k' };
  if (shape.session) headers['x-session-id'] = shape.session;
  const ctx = new ProxyContext(`req_${randomUUID().replace(/-/g, '')}`, shape.method ?? 'POST', path, headers, '127.0.0.1', path);
  ctx.token = {
    id: shape.tokenId ?? TOKEN_ID,
    projectId: shape.projectId,
    name: 't',
    credentialId: null,
    upstreams: [],
    policyIds: [],
    logLevel: shape.logLevel ?? 1,
    circuitBreaker: { enabled: false, failure_threshold: 5, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: { team: 'x' },
    teamId: null,
  };
  ctx.body = Buffer.from(JSON.stringify({ model: shape.model ?? 'gpt-4o', messages: [{ role: 'user', content: 'mail bob@example.com' }] }));
  ctx.json = JSON.parse(ctx.body.toString());
  ctx.upstreamStatus = shape.status ?? 200;
  ctx.upstreamUrl = 'https://api.example.com/v1/chat/completions?key=AIzaSecret';
  ctx.responseBody = Buffer.from('{"ok":true}');
  ctx.responseHeaders = { 'content-type': 'application/json', 'set-cookie': 'a=b' };
  return ctx;
}

describe('audit endpoints', () => {
  const keyPrefix = `t:auditapi:${randomUUID().slice(0, 8)}:`;
  let app: NestFastifyApplication;
  let baseUrl: string;
  let ds: DataSource;
  let seeded: Seeded;
  let hook: AuditHook;
  let writer: AuditWriter;

  const as = (orgId: string, extra: Record<string, string> = {}) => ({ 'x-test-org': orgId, ...extra });
  async function get(path: string, headers: Record<string, string> = as(seeded.orgId)) {
    const response = await fetch(`${baseUrl}/api/v1${path}`, { headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }
  async function write(shapes: RequestShape[]): Promise<void> {
    for (const shape of shapes) {
      hook.complete(completedRequest(shape));
      await new Promise((r) => setTimeout(r, 2)); // distinct created_at values
    }
    await writer.flushNow();
  }

  beforeAll(async () => {
    app = await startApp(keyPrefix);
    const address = app.getHttpServer().address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    ds = app.get(DataSource);
    seeded = await seed(ds);
    hook = app.get(AuditHook);
    writer = app.get(AuditWriter);
  });

  afterAll(async () => {
    if (ds && seeded) {
      await ds.query(`DELETE FROM audit_logs WHERE project_id = ANY($1::uuid[])`, [
        [seeded.projectA, seeded.projectB, seeded.otherProject],
      ]);
      await ds.query(`DELETE FROM organizations WHERE id = ANY($1::uuid[])`, [[seeded.orgId, seeded.otherOrg]]);
    }
    await app?.close();
  });

  describe('GET /audit', () => {
    let project: string;
    beforeAll(async () => {
      project = seeded.projectA;
      await write([
        { projectId: project, status: 200, model: 'gpt-4o', session: 's1' },
        { projectId: project, status: 503, model: 'gpt-4o-mini' },
        { projectId: project, status: 429, model: 'gpt-4o', method: 'GET', path: '/v1/models' },
        { projectId: project, status: 201, model: 'claude-3', tokenId: 'tok_' + 'd'.repeat(24) },
        { projectId: project, status: 200, model: 'gpt-4o', session: 's1', path: '/v1/embeddings' },
        { projectId: project, status: 500, model: 'gpt-4o' },
        { projectId: project, status: 200, model: 'gpt-4o', logLevel: 0 },
      ]);
    });

    it('lists the project’s summaries newest first, as a bare array', async () => {
      const { status, body, headers } = await get(`/audit?project_id=${project}`);
      expect(status).toBe(200);
      expect(headers.get('x-next-cursor')).toBeNull();
      const rows = body as AuditSummary[];
      expect(rows).toHaveLength(7);
      const times = rows.map((r) => Date.parse(r.created_at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      expect(rows[0]).toMatchObject({
        project_id: project,
        token_id: TOKEN_ID,
        policy_result: 'allowed',
        log_level: 0,
        tags: { team: 'x' },
      });
      expect(Object.keys(rows[0])).toEqual(
        expect.arrayContaining(['id', 'seq', 'created_at', 'estimated_cost_usd', 'shadow_violations', 'fields_redacted', 'cache_hit']),
      );
      expect(rows[0]).not.toHaveProperty('request_body');
      expect(JSON.stringify(rows)).not.toContain('ailink_v1_');
    });

    it('defaults to the default project and never shows other projects', async () => {
      const { body } = await get(`/audit?project_id=${seeded.projectB}`);
      expect(body).toEqual([]);
    });

    it.each([
      ['status=5xx', 2],
      ['status=200', 3],
      ['upstream_status=4xx', 1],
      ['model=gpt-4o', 5],
      ['session_id=s1', 2],
      ['method=get', 1],
      ['path=/v1/embeddings', 1],
      [`token_id=${'tok_' + 'd'.repeat(24)}`, 1],
      [`token_id=${SECRET}`, 6],
      ['policy_result=denied', 0],
    ])('filters by %s', async (query, count) => {
      const { status, body } = await get(`/audit?project_id=${project}&${query}`);
      expect(status).toBe(200);
      expect((body as AuditSummary[]).length).toBe(count);
    });

    it('filters by time: from inclusive, to exclusive', async () => {
      const all = (await get(`/audit?project_id=${project}`)).body as AuditSummary[];
      const middle = all[3].created_at;
      const newer = (await get(`/audit?project_id=${project}&from=${middle}`)).body as AuditSummary[];
      const older = (await get(`/audit?project_id=${project}&to=${middle}`)).body as AuditSummary[];
      expect(newer.map((r) => r.id)).toEqual(all.slice(0, 4).map((r) => r.id));
      expect(older.map((r) => r.id)).toEqual(all.slice(4).map((r) => r.id));
    });

    it('pages with the X-Next-Cursor cursor, without gaps or repeats, and with offset', async () => {
      const all = (await get(`/audit?project_id=${project}`)).body as AuditSummary[];
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await get(`/audit?project_id=${project}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        seen.push(...(response.body as AuditSummary[]).map((r) => r.id));
        cursor = response.headers.get('x-next-cursor');
        pages++;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual(all.map((r) => r.id));

      const offset = (await get(`/audit?project_id=${project}&limit=2&offset=5`)).body as AuditSummary[];
      expect(offset.map((r) => r.id)).toEqual(all.slice(5).map((r) => r.id));
    });

    it.each([
      ['limit=abc', 400, 'bad_request'],
      ['limit=1.5', 400, 'bad_request'],
      ['limit=0', 422, 'validation_error'],
      ['limit=201', 422, 'validation_error'],
      ['offset=-1', 422, 'validation_error'],
      ['status=abc', 422, 'validation_error'],
      ['status=600', 422, 'validation_error'],
      ['policy_result=maybe', 422, 'validation_error'],
      ['from=yesterday', 422, 'validation_error'],
      ['from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 422, 'validation_error'],
      ['cursor=not-a-cursor', 400, 'bad_request'],
      ['cursor=abc&offset=1', 400, 'bad_request'],
      ['model=a&model=b', 400, 'bad_request'],
      ['project_id=not-a-uuid', 400, 'bad_request'],
    ])('refuses %s with %i %s in the error envelope', async (query, status, code) => {
      const response = await get(`/audit?${query}`);
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject({ error: { code, request_id: expect.stringMatching(/^req_/) } });
    });

    it('answers 404 for a project of another organisation and 403 without the scope', async () => {
      expect((await get(`/audit?project_id=${seeded.otherProject}`)).status).toBe(404);
      expect((await get(`/audit?project_id=${project}`, as(seeded.orgId, { 'x-test-scopes': 'tokens:read' }))).status).toBe(403);
      expect((await get(`/audit`, {})).status).toBe(401);
    });
  });

  describe('GET /audit/{id}', () => {
    let detailId: string;
    let metadataId: string;
    beforeAll(async () => {
      await write([
        { projectId: seeded.projectB, logLevel: 1, session: 'detail' },
        { projectId: seeded.projectB, logLevel: 0, session: 'detail' },
      ]);
      const rows = (await get(`/audit?project_id=${seeded.projectB}&session_id=detail`)).body as AuditSummary[];
      metadataId = rows[0].id;
      detailId = rows[1].id;
    });

    it('returns the detail with scrubbed bodies and masked headers (level 1)', async () => {
      const { status, body } = await get(`/audit/${detailId}`);
      expect(status).toBe(200);
      const detail = body as AuditDetail;
      expect(detail).toMatchObject({
        id: detailId,
        project_id: seeded.projectB,
        upstream_url: 'https://api.example.com/v1/chat/completions',
        request_headers: { authorization: '***', 'x-api-key': '***', 'content-type': 'application/json' },
        response_headers: { 'set-cookie': '***' },
        bodies_expired_at: null,
        hitl_required: false,
        guardrail_errors: [],
      });
      expect(detail.request_body).toContain('[REDACTED_EMAIL]');
      expect(detail.response_body).toBe('{"ok":true}');
      expect(detail.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(detail.prev_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(detail)).not.toContain('ailink_v1_');
      expect(JSON.stringify(detail)).not.toContain('AIzaSecret');
    });

    it('keeps no bodies or headers at level 0', async () => {
      const detail = (await get(`/audit/${metadataId}?project_id=${seeded.projectB}`)).body as AuditDetail;
      expect(detail).toMatchObject({ request_body: null, response_body: null, request_headers: null, response_headers: null });
    });

    it('answers 400 for a non-UUID id, 404 for an unknown id, another project or another organisation', async () => {
      expect((await get(`/audit/not-a-uuid`)).body).toMatchObject({ error: { code: 'bad_request' } });
      expect((await get(`/audit/${randomUUID()}`)).status).toBe(404);
      expect((await get(`/audit/${detailId}?project_id=${seeded.projectA}`)).status).toBe(404);
      const foreign = await get(`/audit/${detailId}`, as(seeded.otherOrg));
      expect(foreign.status).toBe(404);
      expect(foreign.body).toMatchObject({ error: { code: 'not_found' } });
    });
  });

  describe('GET /audit/stream', () => {
    interface Stream {
      response: IncomingMessage;
      text: () => string;
      events: () => AuditSummary[][];
      close: () => void;
    }

    function openStream(query: string, headers = as(seeded.orgId)): Promise<Stream> {
      return new Promise((resolve, reject) => {
        const req = httpRequest(`${baseUrl}/api/v1/audit/stream?${query}`, { headers }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('error', () => undefined);
          resolve({
            response,
            text: () => text,
            events: () =>
              text
                .split('\n\n')
                .filter((frame) => frame.startsWith('event: audit\n'))
                .map((frame) => JSON.parse(frame.split('\n')[1].slice('data: '.length)) as AuditSummary[]),
            close: () => req.destroy(),
          });
        });
        req.on('error', reject);
        req.end();
      });
    }

    async function until(predicate: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    it('delivers records written by another instance, filtered, with heartbeats; closes cleanly', async () => {
      const streams = app.get(AuditStreamService);
      streams.heartbeatMs = 100;
      const stream = await openStream(`project_id=${seeded.projectA}&status=5xx`);
      expect(stream.response.statusCode).toBe(200);
      expect(stream.response.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.response.headers['x-request-id']).toMatch(/^req_/);
      await until(() => stream.text().includes(': connected'), 'connected comment');

      // A second gateway instance: its own Redis connections and database pool, same Redis and PostgreSQL.
      const store = new RedisKeyValueStore({ url: TEST_REDIS_URL, keyPrefix });
      await store.connect();
      const otherDs = new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, extra: { max: 2 } });
      await otherDs.initialize();
      const other = new AuditWriter(new AuditRepository(otherDs), store, pino({ level: 'silent' }), new AuditMetrics(new Registry()), {
        flushMs: 30,
        batchSize: 100,
        queueMax: 1000,
        queueMaxBytes: 64 * 1024 * 1024,
        spillMax: 1000,
      });
      const otherHook = new AuditHook(other, new AuditMetrics(new Registry()), pino({ level: 'silent' }));
      try {
        otherHook.complete(completedRequest({ projectId: seeded.projectA, status: 200, session: 'stream-ok' })); // filtered out
        otherHook.complete(completedRequest({ projectId: seeded.projectB, status: 502, session: 'stream-other' })); // other project
        otherHook.complete(completedRequest({ projectId: seeded.projectA, status: 502, session: 'stream-match' }));
        await other.flushNow();
        await until(() => stream.events().length > 0, 'an audit event');
        const received = stream.events().flat();
        expect(received.map((r) => r.session_id)).toEqual(['stream-match']);
        expect(received[0]).toMatchObject({ project_id: seeded.projectA, upstream_status: 502, token_id: TOKEN_ID });
        expect(received[0]).not.toHaveProperty('request_body');
        await until(() => stream.text().includes(': heartbeat'), 'a heartbeat');
      } finally {
        await other.close();
        await otherDs.destroy();
        await store.close();
      }

      expect(streams.openStreams).toBe(1);
      stream.close();
      await until(() => streams.openStreams === 0, 'the stream to be released');
    });

    it('checks auth, scope and filters before the stream starts', async () => {
      const unauthorised = await fetch(`${baseUrl}/api/v1/audit/stream`);
      expect(unauthorised.status).toBe(401);
      const invalid = await get(`/audit/stream?status=abc`);
      expect(invalid.status).toBe(422);
      const foreign = await get(`/audit/stream?project_id=${seeded.otherProject}`);
      expect(foreign.status).toBe(404);
    });
  });
});
