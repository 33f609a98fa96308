import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import pino from 'pino';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { CoreModule, METRICS_REGISTRY, loadConfig, type Principal } from '@ailink/gateway-core';
import { ProxyContext } from '@ailink/gateway-proxy';
import { DatabaseModule } from '@ailink/gateway-database';
import { EventBus } from '@ailink/gateway-events';
import { QueueModule } from '@ailink/gateway-queue';
import { KeyValueStore, RedisModule } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import type { GatewayEvent } from '@ailink/shared-contracts';
import { bodyDigest, derivedIdempotencyKey, type ApprovalRequirement, type RequestBinding } from './approval-binding';
import { ApprovalExpiryJob } from './approval-expiry.job';
import { ApprovalGate, type ApprovalRequest } from './approval-gate';
import { ApprovalSignals, approvalChannel } from './approval-signals';
import { ApprovalStage } from './approval.stage';
import { ApprovalsModule } from './approvals.module';
import { ApprovalsRepository } from './approvals.repository';
import { ApprovalsService } from './approvals.service';
import { ApprovalRequestEntity } from './entities/approval-request.entity';

/** The tables the approvals table references, as far as TypeORM needs to know them. */
@Entity({ name: 'tokens' })
class TokenRow {
  @PrimaryColumn('varchar') id!: string;
}
@Entity({ name: 'projects' })
class ProjectRow {
  @PrimaryColumn('uuid') id!: string;
}
@Entity({ name: 'policies' })
class PolicyRow {
  @PrimaryColumn('uuid') id!: string;
}

/**
 * Approvals against the real PostgreSQL and Redis, with two "instances" (two Nest application
 * contexts sharing the database and one Redis key prefix): decision idempotency, binding, single
 * use, the pending cap across instances, expiry (job and waiters) and decision delivery to a request
 * held on the other instance.
 */
describe('approvals (PostgreSQL + Redis, two instances)', () => {
  const keyPrefix = `approvals${randomBytes(4).toString('hex')}:`;
  const orgId = randomUUID();
  const projectId = randomUUID();
  const policyId = randomUUID();
  let a: INestApplicationContext;
  let b: INestApplicationContext;
  let ds: DataSource;
  const admin: Principal = { orgId, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: randomUUID() };

  async function instance(maxPending = 3): Promise<INestApplicationContext> {
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_MIGRATE_ON_START: 'false',
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_ADMIN_KEY: 'approvals-int-admin-key-0123456789',
        AILINK_HITL_MAX_PENDING_PER_TOKEN: String(maxPending),
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-approvals-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    @Module({
      imports: [
        CoreModule.forRoot(config, pino({ level: 'silent' })),
        DatabaseModule.forRoot({ entities: [ApprovalRequestEntity, TokenRow, ProjectRow, PolicyRow], migrations: [] }),
        RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
        QueueModule.forRoot({ redisUrl: config.redisUrl, prefix: `${config.redisKeyPrefix}ailink:bull` }),
        ApprovalsModule,
      ],
    })
    class TestModule {}
    const app = await NestFactory.createApplicationContext(TestModule, { logger: false, abortOnError: false });
    await app.init();
    return app;
  }

  let tokenSeq = 0;
  async function token(): Promise<string> {
    const id = `tok_${randomBytes(12).toString('hex')}`;
    await ds.query(
      `INSERT INTO tokens (id, secret_sha256, last4, project_id, name, upstream_url) VALUES ($1, $2, 'abcd', $3, $4, 'http://127.0.0.1:9')`,
      [id, randomBytes(32).toString('hex'), projectId, `approvals-${++tokenSeq}`],
    );
    return id;
  }

  const requirement = (overrides: Partial<ApprovalRequirement> = {}): ApprovalRequirement => ({
    policyId,
    policyName: 'hitl',
    policyVersion: 1,
    mode: 'wait',
    timeoutSecs: 60,
    fallback: 'deny',
    ...overrides,
  });

  function request(tokenId: string, body: string, overrides: Partial<ApprovalRequest> = {}, req = requirement()): ApprovalRequest {
    const binding: RequestBinding = { tokenId, method: 'POST', path: '/v1/chat/completions', bodyDigest: bodyDigest(Buffer.from(body)) };
    return {
      binding,
      projectId,
      idempotencyKey: derivedIdempotencyKey(binding),
      requirement: req,
      summary: { method: 'POST', path: '/v1/chat/completions', agent: 'int', upstream: null, model: 'gpt-4o', body_preview: body },
      routingChoices: null,
      ...overrides,
    };
  }

  beforeAll(async () => {
    a = await instance();
    b = await instance();
    ds = a.get(DataSource);
    await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, 'approvals-int')`, [orgId]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'approvals')`, [projectId, orgId]);
    await ds.query(`INSERT INTO policies (id, project_id, name, rules) VALUES ($1, $2, 'hitl', '[]')`, [policyId, projectId]);
  }, 60_000);

  afterAll(async () => {
    await ds?.query(`DELETE FROM organizations WHERE id = $1`, [orgId]);
    await a?.close();
    await b?.close();
    await deleteRedisPrefix(keyPrefix);
  });

  it('makes no database round trip for a request whose policies require no approval', async () => {
    const ctx = new ProxyContext('req_' + '2'.repeat(32), 'POST', '/v1/chat/completions', {}, '127.0.0.1', '/v1/chat/completions');
    ctx.body = Buffer.from('{}');
    ctx.token = {
      id: await token(),
      projectId,
      name: 'plain',
      credentialId: null,
      upstreams: [],
      policyIds: [],
      logLevel: 1,
      circuitBreaker: { enabled: false, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
      tags: {},
      teamId: null,
    };
    ctx.policy = { phase: 'pre', mode: 'enforce', evaluated: [], actions: [], async_actions: [], shadow_violations: [], tags: {} };
    const stage = a.get(ApprovalStage);
    const before = queryCount();
    for (let i = 0; i < 100; i++) await stage.run(ctx);
    expect(queryCount() - before).toBe(0);
    expect(ctx.approval).toBeUndefined();
  });

  describe('decisions', () => {
    it('applies a decision once; repeating it answers updated: false with the current status', async () => {
      const created = await a.get(ApprovalGate).resolve(request(await token(), '{"n":1}'));
      expect(created).toMatchObject({ kind: 'pending', created: true });
      const service = b.get(ApprovalsService);
      const id = created.row.id;
      expect(await service.decide(admin, id, { decision: 'approve' })).toEqual({ id, status: 'approved', updated: true });
      expect(await service.decide(admin, id, { decision: 'approved' })).toEqual({ id, status: 'approved', updated: false });
      expect(await service.decide(admin, id, { decision: 'reject' })).toEqual({ id, status: 'approved', updated: false });
      const row = await service.get(admin, id);
      expect(row).toMatchObject({ status: 'approved', reviewed_by: admin.keyId, decision_channel: 'api' });
      const window = new Date(row.approved_until as string).getTime() - new Date(row.reviewed_at as string).getTime();
      expect(window).toBe(600_000);
    });

    it('lets exactly one of concurrent decisions win (across instances)', async () => {
      const created = await a.get(ApprovalGate).resolve(request(await token(), '{"n":2}'));
      const id = created.row.id;
      const results = await Promise.all([
        a.get(ApprovalsService).decide(admin, id, { decision: 'approve' }),
        b.get(ApprovalsService).decide(admin, id, { decision: 'reject', comment: 'no' }),
        a.get(ApprovalsService).decide(admin, id, { decision: 'rejected' }),
        b.get(ApprovalsService).decide(admin, id, { decision: 'approved' }),
      ]);
      expect(results.filter((r) => r.updated)).toHaveLength(1);
      const final = results.find((r) => r.updated)?.status;
      expect(results.every((r) => r.status === final)).toBe(true);
    });

    it('refuses bad decisions (400), non-UUID ids (400), unknown ids and other organisations (404)', async () => {
      const service = a.get(ApprovalsService);
      const created = await a.get(ApprovalGate).resolve(request(await token(), '{"n":3}'));
      await expect(service.decide(admin, created.row.id, { decision: 'maybe' })).rejects.toMatchObject({ code: 'bad_request' });
      await expect(service.decide(admin, 'not-a-uuid', { decision: 'approve' })).rejects.toMatchObject({ code: 'bad_request' });
      await expect(service.decide(admin, randomUUID(), { decision: 'approve' })).rejects.toMatchObject({ code: 'not_found' });
      const stranger: Principal = { ...admin, orgId: randomUUID() };
      await expect(service.decide(stranger, created.row.id, { decision: 'approve' })).rejects.toMatchObject({ code: 'not_found' });
      await expect(service.get(stranger, created.row.id)).rejects.toMatchObject({ code: 'not_found' });
      expect((await service.get(admin, created.row.id)).status).toBe('pending');
    });

    it('does not decide an approval past expires_at: it reads as expired', async () => {
      const created = await a.get(ApprovalGate).resolve(request(await token(), '{"n":4}', {}, requirement({ timeoutSecs: 1 })));
      await sleep(1100);
      const id = created.row.id;
      expect(await a.get(ApprovalsService).decide(admin, id, { decision: 'approve' })).toEqual({ id, status: 'expired', updated: false });
    });

    it('emits approval_decided events with the reviewer and channel', async () => {
      const events: GatewayEvent[] = [];
      const stop = b.get(EventBus).subscribe((event) => void events.push(event), { types: ['approval_decided'] });
      try {
        const created = await a.get(ApprovalGate).resolve(request(await token(), '{"n":5}'));
        await a.get(ApprovalsService).decide(admin, created.row.id, { decision: 'reject' });
        await until(() => events.some((e) => (e.details as { approval_id?: string }).approval_id === created.row.id));
        const event = events.find((e) => (e.details as { approval_id?: string }).approval_id === created.row.id) as GatewayEvent;
        expect(event).toMatchObject({
          event_type: 'approval_decided',
          project_id: projectId,
          token_id: created.row.token_id,
          details: { approval_id: created.row.id, decision: 'rejected', decided_by: admin.keyId, channel: 'api' },
        });
      } finally {
        stop();
      }
    });
  });

  describe('binding and single use', () => {
    it('binds a key to its request: another body under the same key is 409 idempotency_conflict', async () => {
      const tok = await token();
      const first = await a.get(ApprovalGate).resolve(request(tok, '{"a":1}', { idempotencyKey: 'client-key-1' }));
      expect(first.kind).toBe('pending');
      await expect(a.get(ApprovalGate).resolve(request(tok, '{"a":2}', { idempotencyKey: 'client-key-1' }))).rejects.toMatchObject({
        code: 'idempotency_conflict',
      });
      // The same request finds the same approval (no second one).
      const again = await b.get(ApprovalGate).resolve(request(tok, '{"a":1}', { idempotencyKey: 'client-key-1' }));
      expect(again).toMatchObject({ kind: 'pending', created: false, row: { id: first.row.id } });
    });

    it('is consumed by exactly one of concurrent requests, and never authorises again', async () => {
      const tok = await token();
      const created = await a.get(ApprovalGate).resolve(request(tok, '{"single":1}'));
      await a.get(ApprovalsService).decide(admin, created.row.id, { decision: 'approve' });
      const seen = await Promise.all([a, b, a, b].map((app) => app.get(ApprovalGate).resolve(request(tok, '{"single":1}'))));
      expect(seen.every((r) => r.kind === 'approved' && r.row.id === created.row.id)).toBe(true);
      const consumed = await Promise.all([a, b, a, b].map((app) => app.get(ApprovalsRepository).consume(created.row.id)));
      expect(consumed.filter(Boolean)).toHaveLength(1);
      // The next identical request needs a new approval.
      const next = await a.get(ApprovalGate).resolve(request(tok, '{"single":1}'));
      expect(next).toMatchObject({ kind: 'pending', created: true });
      expect(next.row.id).not.toBe(created.row.id);
    });

    it('replaces an approval whose policy version changed (the old one is marked expired)', async () => {
      const tok = await token();
      const v1 = await a.get(ApprovalGate).resolve(request(tok, '{"v":1}'));
      const v2 = await a.get(ApprovalGate).resolve(request(tok, '{"v":1}', {}, requirement({ policyVersion: 2 })));
      expect(v2).toMatchObject({ kind: 'pending', created: true });
      expect(v2.row.id).not.toBe(v1.row.id);
      expect((await a.get(ApprovalsRepository).byId(v1.row.id))?.status).toBe('expired');
    });

    it('answers a rejection once; the next identical request asks for a new approval', async () => {
      const tok = await token();
      const created = await a.get(ApprovalGate).resolve(request(tok, '{"r":1}'));
      await b.get(ApprovalsService).decide(admin, created.row.id, { decision: 'reject' });
      expect(await a.get(ApprovalGate).resolve(request(tok, '{"r":1}'))).toMatchObject({ kind: 'rejected', row: { id: created.row.id } });
      await a.get(ApprovalsRepository).markAnswered(created.row.id);
      expect(await a.get(ApprovalGate).resolve(request(tok, '{"r":1}'))).toMatchObject({ kind: 'pending', created: true });
    });
  });

  describe('pending cap', () => {
    it('holds across instances under concurrency (AILINK_HITL_MAX_PENDING_PER_TOKEN = 3)', async () => {
      const tok = await token();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).get(ApprovalGate).resolve(request(tok, `{"cap":${i}}`))),
      );
      const created = outcomes.filter((o) => o.status === 'fulfilled');
      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(created).toHaveLength(3);
      expect(refused).toHaveLength(5);
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'approval_limit_reached' });
      const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM approval_requests WHERE token_id = $1 AND status = 'pending'`, [tok]);
      expect(n).toBe(3);
      // A request whose approval exists is not refused by the cap; a decided one frees a slot.
      const existing = (created[0] as PromiseFulfilledResult<{ row: { id: string; request_summary: { body_preview: string } } }>).value;
      const body = existing.row.request_summary.body_preview;
      expect(await a.get(ApprovalGate).resolve(request(tok, body))).toMatchObject({ kind: 'pending', created: false });
      await a.get(ApprovalsService).decide(admin, existing.row.id, { decision: 'reject' });
      expect(await b.get(ApprovalGate).resolve(request(tok, '{"cap":"next"}'))).toMatchObject({ kind: 'pending', created: true });
    });
  });

  describe('expiry', () => {
    it('the job expires due approvals (pending past expires_at, approved past their window) and signals waiters', async () => {
      const tok = await token();
      const due = await a.get(ApprovalGate).resolve(request(tok, '{"e":1}'));
      const live = await a.get(ApprovalGate).resolve(request(tok, '{"e":2}'));
      const lapsed = await a.get(ApprovalGate).resolve(request(tok, '{"e":3}'));
      await a.get(ApprovalsService).decide(admin, lapsed.row.id, { decision: 'approve' });
      await ds.query(`UPDATE approval_requests SET approved_until = now() - interval '1 second' WHERE id = $1`, [lapsed.row.id]);
      const signals: string[] = [];
      const store = b.get(KeyValueStore);
      const unsubscribe = await store.subscribe(approvalChannel(due.row.id), (message) => signals.push(message));
      try {
        // Due only now, so that no other test's deployment (sharing this database, not this Redis
        // prefix) expires it first and signals on its own channel.
        await ds.query(`UPDATE approval_requests SET expires_at = now() - interval '1 second' WHERE id = $1`, [due.row.id]);
        expect(await b.get(ApprovalExpiryJob).runOnce()).toBeGreaterThanOrEqual(1);
        const repo = a.get(ApprovalsRepository);
        expect((await repo.byId(due.row.id))?.status).toBe('expired');
        expect((await repo.byId(lapsed.row.id))?.status).toBe('expired');
        expect((await repo.byId(live.row.id))?.status).toBe('pending');
        await until(() => signals.length > 0);
        expect(JSON.parse(signals[0])).toEqual({ id: due.row.id, status: 'expired' });
      } finally {
        await unsubscribe();
      }
    });

    it('runs one expiry at a time across instances (the singleton lock)', async () => {
      const store = a.get(KeyValueStore);
      await store.set('ailink:lock:approval-expiry', 'someone-else', 30);
      try {
        expect(await a.get(ApprovalExpiryJob).runOnce()).toBeNull();
        expect(await b.get(ApprovalExpiryJob).runOnce()).toBeNull();
      } finally {
        await store.del('ailink:lock:approval-expiry');
      }
      expect(await a.get(ApprovalExpiryJob).runOnce()).not.toBeNull();
    });

    it('a waiter expires its own approval at expires_at, without the job', async () => {
      const created = await a.get(ApprovalGate).resolve(request(await token(), '{"w":1}', {}, requirement({ timeoutSecs: 1 })));
      const started = Date.now();
      const outcome = await a.get(ApprovalSignals).wait(created.row);
      expect(outcome.status).toBe('expired');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(4000);
    });
  });

  describe('decision delivery across instances', () => {
    it.each([1, 2, 3, 4, 5])('releases a request waiting on instance A when instance B decides (run %i)', async () => {
      const created = await a.get(ApprovalGate).resolve(request(await token(), `{"x":${Math.random()}}`));
      const waiting = a.get(ApprovalSignals).wait(created.row);
      await until(() => a.get(ApprovalSignals).waiting > 0);
      await sleep(50);
      const decidedAt = Date.now();
      await b.get(ApprovalsService).decide(admin, created.row.id, { decision: 'approve' });
      const outcome = await waiting;
      expect(outcome).toMatchObject({ status: 'approved', row: { id: created.row.id } });
      // Through pub/sub, not the 5-second safety net.
      expect(Date.now() - decidedAt).toBeLessThan(2000);
    });

    it('delivers a rejection to every waiter of the approval on both instances', async () => {
      const created = await a.get(ApprovalGate).resolve(request(await token(), '{"many":1}'));
      const waits = [a, a, b, b].map((app) => app.get(ApprovalSignals).wait(created.row));
      await sleep(200);
      await b.get(ApprovalsService).decide(admin, created.row.id, { decision: 'reject' });
      const outcomes = await Promise.all(waits);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    });

    it('ends a wait whose client went away, leaving the approval pending', async () => {
      const created = await a.get(ApprovalGate).resolve(request(await token(), '{"gone":1}'));
      const abort = new AbortController();
      const waiting = a.get(ApprovalSignals).wait(created.row, abort.signal);
      setTimeout(() => abort.abort(), 100);
      expect(await waiting).toEqual({ status: 'aborted' });
      expect((await a.get(ApprovalsRepository).byId(created.row.id))?.status).toBe('pending');
    });

    it('releases the requests an instance holds when it shuts down, leaving their approvals pending', async () => {
      const c = await instance();
      try {
        const created = await c.get(ApprovalGate).resolve(request(await token(), '{"shutdown":1}'));
        const waiting = c.get(ApprovalSignals).wait(created.row);
        await until(() => c.get(ApprovalSignals).waiting > 0);
        await c.close();
        expect(await waiting).toEqual({ status: 'shutdown' });
        expect((await a.get(ApprovalsRepository).byId(created.row.id))?.status).toBe('pending');
      } finally {
        await c.close().catch(() => undefined);
      }
    });

    it('falls back to reading the database when no signal arrives (safety net)', async () => {
      const signals = a.get(ApprovalSignals);
      const previous = signals.timings.safetyNetMs;
      signals.timings.safetyNetMs = 300;
      try {
        const created = await a.get(ApprovalGate).resolve(request(await token(), '{"quiet":1}'));
        const waiting = signals.wait(created.row);
        await sleep(100);
        // Decided behind the gateway's back: no signal is published.
        await ds.query(`UPDATE approval_requests SET status = 'approved', approved_until = now() + interval '10 minutes' WHERE id = $1`, [
          created.row.id,
        ]);
        expect((await waiting).status).toBe('approved');
      } finally {
        signals.timings.safetyNetMs = previous;
      }
    });
  });
});

function queryCount(): number {
  const counter = METRICS_REGISTRY.getSingleMetric('ailink_db_queries_total');
  const values = (counter as unknown as { hashMap?: Record<string, { value: number }> } | undefined)?.hashMap ?? {};
  return Object.values(values).reduce((sum, v) => sum + v.value, 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
