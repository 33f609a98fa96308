import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { DEFAULT_ORG_ID, DEFAULT_PROJECT_ID } from '@ailink/shared-contracts';
import { SnakeNamingStrategy } from '@ailink/gateway-database';
import { RedisKeyValueStore } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_REDIS_URL, TcpProxy } from '@ailink/testing';
import { AdminAuditMetrics } from './admin-audit.metrics';
import type { AdminAuditRecord } from './admin-audit-record';
import { AdminAuditRepository } from './admin-audit.repository';
import { ADMIN_AUDIT_SPILL_KEY, AdminAuditWriter, type AdminAuditWriterOptions } from './admin-audit.writer';

const logger = pino({ level: 'silent' });

/** Counts the statements a DataSource sends (TypeORM query logging). */
class StatementCounter implements TypeOrmLogger {
  readonly queries: string[] = [];
  logQuery(query: string): void {
    this.queries.push(query);
  }
  logQueryError(): void {
    // not needed
  }
  logQuerySlow(): void {
    // not needed
  }
  logSchemaBuild(): void {
    // not needed
  }
  logMigration(): void {
    // not needed
  }
  log(): void {
    // not needed
  }
  count(text: string): number {
    return this.queries.filter((q) => q.includes(text)).length;
  }
}

function dataSource(url: string, extra: Record<string, unknown> = {}, counter?: StatementCounter): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    logging: counter ? true : false,
    logger: counter,
    extra: { max: 4, ...extra },
  });
}

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const metricValue = async (registry: Registry, name: string): Promise<number> =>
  (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;

describe('AdminAuditWriter against PostgreSQL and Redis', () => {
  let ds: DataSource;
  let counter: StatementCounter;
  let store: RedisKeyValueStore;
  const writers: AdminAuditWriter[] = [];

  /** Records of one test carry its own actor, so tests never see each other's rows. */
  function record(actor: string, n: number, overrides: Partial<AdminAuditRecord> = {}): AdminAuditRecord {
    return {
      id: randomUUID(),
      org_id: DEFAULT_ORG_ID,
      fallback_org_id: DEFAULT_ORG_ID,
      project_id: DEFAULT_PROJECT_ID,
      actor,
      auth_method: 'api_key',
      method: 'PATCH',
      path: `/api/v1/services/${n}`,
      route: '/api/v1/services/:id',
      resource_kind: 'service',
      resource_id: String(n),
      status: 200,
      request_id: `req_${String(n).padStart(32, '0')}`,
      created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, n % 60)).toISOString(),
      before: { n, name: 'old' },
      after: { n, name: 'new' },
      ...overrides,
    };
  }

  function writer(options: Partial<AdminAuditWriterOptions> = {}, through: DataSource = ds, registry = new Registry()): AdminAuditWriter {
    const created = new AdminAuditWriter(new AdminAuditRepository(through), store, logger, new AdminAuditMetrics(registry), {
      flushMs: 50,
      batchSize: 500,
      queueMax: 50_000,
      spillMax: 200_000,
      maxBackoffMs: 200,
      spillCheckMs: 50,
      shutdownTimeoutMs: 2000,
      ...options,
    });
    writers.push(created);
    return created;
  }

  const countOf = async (actor: string) =>
    (await ds.query(`SELECT count(*)::int AS n FROM admin_audit_log WHERE actor = $1`, [actor]))[0].n as number;

  beforeAll(async () => {
    counter = new StatementCounter();
    ds = dataSource(TEST_DATABASE_URL, {}, counter);
    await ds.initialize();
  });

  beforeEach(async () => {
    store = new RedisKeyValueStore({ url: TEST_REDIS_URL, keyPrefix: `t:adminaudit:${randomUUID().slice(0, 8)}:` });
    await store.connect();
  });

  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
    await store.del(ADMIN_AUDIT_SPILL_KEY);
    await store.close();
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('writes records in batches, one INSERT per batch, off the caller’s path', async () => {
    const actor = `batch-${randomUUID()}`;
    const w = writer({ flushMs: 60_000, batchSize: 100 });
    counter.queries.length = 0;
    for (let i = 0; i < 250; i++) w.enqueue(record(actor, i));
    // enqueue() never waits: nothing can have been written synchronously.
    expect(w.buffered).toBe(250);
    await w.flushNow();
    expect(await countOf(actor)).toBe(250);
    expect(counter.count('INSERT INTO "admin_audit_log"')).toBe(3);
    const row = (await ds.query(`SELECT * FROM admin_audit_log WHERE actor = $1 AND resource_id = '7'`, [actor]))[0];
    expect(row).toMatchObject({ method: 'PATCH', status: 200, before: { n: 7, name: 'old' }, after: { n: 7, name: 'new' } });
    expect(w.buffered).toBe(0);
  });

  it('flushes a full batch at once and the rest on the timer', async () => {
    const actor = `timer-${randomUUID()}`;
    const w = writer({ flushMs: 300, batchSize: 5 });
    w.start();
    for (let i = 0; i < 5; i++) w.enqueue(record(actor, i));
    await waitFor(async () => (await countOf(actor)) === 5, 2000, 'a full batch');
    w.enqueue(record(actor, 5));
    await waitFor(async () => (await countOf(actor)) === 6, 3000, 'the timer flush');
  });

  it("resolves a record's organisation from its project, else keeps the caller's", async () => {
    const actor = `org-${randomUUID()}`;
    const org = randomUUID();
    const project = randomUUID();
    await ds.query(`INSERT INTO organizations (id, name) VALUES ($1, $2)`, [org, `adminaudit ${org}`]);
    await ds.query(`INSERT INTO projects (id, org_id, name) VALUES ($1, $2, 'p')`, [project, org]);
    const w = writer();
    w.enqueue(record(actor, 1, { org_id: null, project_id: project }));
    w.enqueue(record(actor, 2, { org_id: null, project_id: randomUUID() }));
    w.enqueue(record(actor, 3, { org_id: null, project_id: null }));
    await w.flushNow();
    const rows: { resource_id: string; org_id: string }[] = await ds.query(
      `SELECT resource_id, org_id FROM admin_audit_log WHERE actor = $1 ORDER BY resource_id`,
      [actor],
    );
    expect(rows).toEqual([
      { resource_id: '1', org_id: org },
      { resource_id: '2', org_id: DEFAULT_ORG_ID },
      { resource_id: '3', org_id: DEFAULT_ORG_ID },
    ]);
  });

  it('drops only the record PostgreSQL refuses, and writes the rest of its batch', async () => {
    const actor = `refused-${randomUUID()}`;
    const registry = new Registry();
    const w = writer({}, ds, registry);
    w.enqueue(record(actor, 1));
    w.enqueue(record(actor, 2, { status: 70_000 })); // out of smallint range: 22003
    w.enqueue(record(actor, 3));
    await w.flushNow();
    expect(await countOf(actor)).toBe(2);
    expect(await metricValue(registry, 'ailink_admin_audit_dropped_total')).toBe(1);
  });

  it('writes everything still buffered on shutdown (module destroy, then application shutdown)', async () => {
    const actor = `shutdown-${randomUUID()}`;
    const w = writer({ flushMs: 60_000 });
    w.start();
    for (let i = 0; i < 40; i++) w.enqueue(record(actor, i));
    await w.onModuleDestroy();
    expect(await countOf(actor)).toBe(40);
    // A request that finishes while the HTTP server drains is written at once.
    w.enqueue(record(actor, 40));
    await waitFor(async () => (await countOf(actor)) === 41, 2000, 'the late record');
    w.enqueue(record(actor, 41));
    await w.onApplicationShutdown();
    expect(await countOf(actor)).toBe(42);
    expect(w.buffered).toBe(0);
  });

  describe('with PostgreSQL unreachable', () => {
    let proxy: TcpProxy;
    let proxied: DataSource;

    beforeEach(async () => {
      const target = new URL(TEST_DATABASE_URL);
      proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      const url = new URL(TEST_DATABASE_URL);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      proxied = dataSource(url.toString(), { max: 2, connectionTimeoutMillis: 1000 });
      await proxied.initialize();
    });

    afterEach(async () => {
      proxy.resume();
      await Promise.all(writers.splice(0).map((w) => w.close()));
      await proxied.destroy().catch(() => undefined);
      await proxy.stop();
    });

    it('keeps records while PostgreSQL is down and writes all of them once it is back', async () => {
      const actor = `outage-${randomUUID()}`;
      const registry = new Registry();
      const w = writer({ flushMs: 20, batchSize: 10 }, proxied, registry);
      w.start();
      w.enqueue(record(actor, 0));
      await waitFor(async () => (await countOf(actor)) === 1, 5000, 'first record');
      proxy.pause();
      for (let i = 1; i <= 30; i++) w.enqueue(record(actor, i));
      await waitFor(async () => (await metricValue(registry, 'ailink_admin_audit_flush_failures_total')) >= 2, 10_000, 'failed flushes');
      expect(await countOf(actor)).toBe(1);
      expect(w.buffered).toBe(30);
      proxy.resume();
      await waitFor(async () => (await countOf(actor)) === 31, 15_000, 'every record after recovery');
      expect(await metricValue(registry, 'ailink_admin_audit_dropped_total')).toBe(0);
    });

    it('spills overflow to the Redis list and drains it into PostgreSQL', async () => {
      const actor = `spill-${randomUUID()}`;
      const registry = new Registry();
      const w = writer({ flushMs: 20, batchSize: 5, queueMax: 10 }, proxied, registry);
      w.start();
      proxy.pause();
      for (let i = 0; i < 25; i++) w.enqueue(record(actor, i));
      expect(w.buffered).toBe(10);
      await waitFor(async () => (await store.listLength(ADMIN_AUDIT_SPILL_KEY)) === 15, 5000, 'spilled records');
      expect(await metricValue(registry, 'ailink_admin_audit_spilled_total')).toBe(15);
      proxy.resume();
      await waitFor(async () => (await countOf(actor)) === 25, 15_000, 'buffered and spilled records in PostgreSQL');
      expect(await store.listLength(ADMIN_AUDIT_SPILL_KEY)).toBe(0);
    });

    it('spills what it cannot write at shutdown; the next process writes it', async () => {
      const actor = `handover-${randomUUID()}`;
      const w = writer({ flushMs: 60_000, shutdownTimeoutMs: 500 }, proxied);
      w.start();
      proxy.pause();
      for (let i = 0; i < 12; i++) w.enqueue(record(actor, i));
      await w.onModuleDestroy();
      await w.onApplicationShutdown();
      expect(await store.listLength(ADMIN_AUDIT_SPILL_KEY)).toBe(12);
      expect(await countOf(actor)).toBe(0);
      // After close, a straggler goes to the spill list too, never silently away.
      w.enqueue(record(actor, 12));
      await waitFor(async () => (await store.listLength(ADMIN_AUDIT_SPILL_KEY)) === 13, 2000, 'the straggler spilled');

      const next = writer({ flushMs: 60_000 });
      next.start();
      await waitFor(async () => (await countOf(actor)) === 13, 10_000, 'the next process draining the spill list');
      expect(await store.listLength(ADMIN_AUDIT_SPILL_KEY)).toBe(0);
    });
  });
});
