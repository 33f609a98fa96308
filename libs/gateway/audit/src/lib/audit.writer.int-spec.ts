import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { EmbeddedPostgres, SnakeNamingStrategy, runMigrations } from '@ailink/gateway-database';
import { ProxyContext } from '@ailink/gateway-proxy';
import { MemoryKeyValueStore, RedisKeyValueStore } from '@ailink/gateway-redis';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { TEST_DATABASE_URL, TEST_REDIS_URL, TcpProxy } from '@ailink/testing';
import { AUDIT_MAINTENANCE_LOCK_KEY, AUDIT_SPILL_KEY } from './audit.constants';
import { AuditMetrics } from './audit.metrics';
import { AuditRepository } from './audit.repository';
import { AuditWriter, type AuditWriterOptions } from './audit.writer';
import { GENESIS_HASH, bodySha256, chainHash } from './audit-chain';
import { AuditPartitionRepository } from './audit-partition.repository';
import { AuditPartitionService } from './audit-partition.service';
import { partitionRanges } from './audit-partitions';
import { buildAuditRecord } from './audit-record.builder';
import type { AuditRecord } from './audit-record';

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
  /** Statements containing `text` (an INSERT may sit in a WITH clause). */
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

/** A record built by the real builder from a completed proxy context (log level 1: scrubbed bodies). */
function recordFor(projectId: string, n: number, options: { at?: Date; logLevel?: 0 | 1 | 2 } = {}): AuditRecord {
  const ctx = new ProxyContext(
    `req_${randomUUID().replace(/-/g, '')}`,
    'POST',
    '/v1/chat/completions',
    {
      'content-type': 'application/json',
      authorization: 'Bearer ailink_v1_00000000_tok_0123456789abcdef0123456789abcdef',
      'x-request-id': `corr-${n}`,
    },
    '127.0.0.1',
    '/v1/chat/completions',
  );
  ctx.token = {
    id: 'tok_0123456789abcdef01234567',
    projectId,
    name: 't',
    credentialId: null,
    upstreams: [],
    policyIds: [],
    logLevel: options.logLevel ?? 1,
    circuitBreaker: { enabled: false, failure_threshold: 5, recovery_cooldown_secs: 30, half_open_max_requests: 1, min_sample_size: 10 },
    tags: {},
    teamId: null,
  };
  ctx.body = Buffer.from(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `hello ${n}, mail me at a${n}@b.io` }] }));
  ctx.upstreamStatus = 200;
  ctx.upstreamMs = 10;
  ctx.responseBody = Buffer.from(`{"n":${n}}`);
  ctx.responseHeaders = { 'content-type': 'application/json' };
  const record = buildAuditRecord(ctx, options.at?.getTime());
  if (!record) throw new Error('no record');
  return record;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const metricValue = async (metrics: AuditMetrics, name: string): Promise<number> =>
  (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;

describe('AuditWriter against PostgreSQL and Redis', () => {
  let ds: DataSource;
  let counter: StatementCounter;
  let store: RedisKeyValueStore;
  let keyPrefix: string;
  const writers: AuditWriter[] = [];

  function writer(
    options: Partial<AuditWriterOptions> = {},
    through: DataSource = ds,
    metrics = new AuditMetrics(new Registry()),
  ): AuditWriter {
    const created = new AuditWriter(new AuditRepository(through), store, logger, metrics, {
      flushMs: 50,
      batchSize: 500,
      queueMax: 50_000,
      queueMaxBytes: 256 * 1024 * 1024,
      spillMax: 200_000,
      maxBackoffMs: 200,
      spillCheckMs: 50,
      ...options,
    });
    writers.push(created);
    return created;
  }

  const rowsOf = (projectId: string) =>
    ds.query(`SELECT * FROM audit_logs WHERE project_id = $1 ORDER BY seq`, [projectId]) as Promise<Record<string, unknown>[]>;
  const countOf = async (projectId: string) =>
    (await ds.query(`SELECT count(*)::int AS n FROM audit_logs WHERE project_id = $1`, [projectId]))[0].n as number;

  beforeAll(async () => {
    counter = new StatementCounter();
    ds = dataSource(TEST_DATABASE_URL, {}, counter);
    await ds.initialize();
  });

  beforeEach(async () => {
    keyPrefix = `t:audit:${randomUUID().slice(0, 8)}:`;
    store = new RedisKeyValueStore({ url: TEST_REDIS_URL, keyPrefix });
    await store.connect();
  });

  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
    await store.del(AUDIT_SPILL_KEY, AUDIT_MAINTENANCE_LOCK_KEY);
    await store.close();
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  it('writes N records with one INSERT per table per batch, chained and hashed', async () => {
    const project = randomUUID();
    const w = writer({ flushMs: 60_000, batchSize: 500 });
    counter.queries.length = 0;
    for (let i = 0; i < 1200; i++) w.enqueue(recordFor(project, i));
    await w.flushNow();

    // One statement (one transaction) per batch of 500, plus one read of the new project's chain head.
    expect(counter.count('INSERT INTO "audit_logs"')).toBe(3);
    expect(counter.count('INSERT INTO "audit_log_bodies"')).toBe(3);
    expect(counter.count('INSERT INTO "audit_chain_heads"')).toBe(3);
    expect(counter.queries).toHaveLength(4);

    const rows = await rowsOf(project);
    expect(rows).toHaveLength(1200);
    expect(rows.map((r) => Number(r['seq']))).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
    expect(rows.map((r) => r['external_request_id'])).toEqual(Array.from({ length: 1200 }, (_, i) => `corr-${i}`));
    const bodies: { n: number }[] = await ds.query(
      `SELECT count(*)::int AS n FROM audit_log_bodies b JOIN audit_logs l ON l.id = b.audit_log_id AND l.created_at = b.created_at WHERE l.project_id = $1`,
      [project],
    );
    expect(bodies[0].n).toBe(1200);
    const head = await ds.query(`SELECT last_seq, last_hash FROM audit_chain_heads WHERE project_id = $1`, [project]);
    expect(head).toEqual([{ last_seq: '1200', last_hash: rows[1199]['hash'] }]);
  });

  /** Reads a project's rows back and checks every link of its chain; resolves to the rows (with bodies). */
  async function verifiedChain(project: string): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = await ds.query(
      `SELECT l.*, to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text, b.request_body, b.response_body
       FROM audit_logs l LEFT JOIN audit_log_bodies b ON b.audit_log_id = l.id AND b.created_at = l.created_at
       WHERE l.project_id = $1 ORDER BY l.seq`,
      [project],
    );
    let prev = GENESIS_HASH;
    for (const row of rows) {
      expect(row['prev_hash']).toBe(prev);
      expect(row['request_body_sha256']).toBe(bodySha256(row['request_body'] as string));
      const fields: Record<string, unknown> = { ...row };
      for (const key of ['request_body', 'response_body', 'created_at_text', 'hash', 'prev_hash']) delete fields[key];
      const hash = row['hash'];
      const created_at_text = row['created_at_text'];
      const record = {
        ...fields,
        created_at: created_at_text,
        seq: Number(row['seq']),
        overhead_ms: row['overhead_ms'] === null ? null : Number(row['overhead_ms']),
        upstream_url: row['upstream_url'],
      } as unknown as AuditRecord & { seq: number };
      expect(chainHash(prev, record)).toBe(hash);
      prev = hash as string;
    }
    return rows;
  }

  it('stores what it hashed: the chain verifies from the rows read back', async () => {
    const project = randomUUID();
    const w = writer({ flushMs: 60_000, batchSize: 7 });
    for (let i = 0; i < 20; i++) w.enqueue(recordFor(project, i));
    await w.flushNow();
    const rows = await verifiedChain(project);
    expect(rows).toHaveLength(20);
    for (const row of rows) expect(row['request_body']).toContain('[REDACTED_EMAIL]');
  });

  it('makes NUL and lone surrogates storable (U+FFFD) in fields, keys and bodies, and hashes what it stored', async () => {
    const project = randomUUID();
    const w = writer({ flushMs: 60_000 });
    const plain = recordFor(project, 0);
    const dirty = recordFor(project, 1);
    dirty.user_id = 'user\u0000one';
    dirty.session_id = 'sess-\uD800';
    dirty.custom_properties = { ['key\uDC00']: 'value\u0000', ok: 'pair \uD83D\uDE00' };
    dirty.tags = { env: 'a\uDBFFb' };
    if (dirty.bodies) dirty.bodies.response_body = '{"text":"nul \u0000 here"}';
    const literal = recordFor(project, 2);
    literal.user_id = 'backslash \\u0000 text'; // the six characters, not a NUL: kept as they are
    for (const r of [plain, dirty, literal]) w.enqueue(r);
    await w.flushNow();

    const rows = await verifiedChain(project);
    expect(rows).toHaveLength(3);
    expect(rows[0]['user_id']).toBeNull();
    expect(rows[1]).toMatchObject({
      user_id: 'user\uFFFDone',
      session_id: 'sess-\uFFFD',
      custom_properties: { ['key\uFFFD']: 'value\uFFFD', ok: 'pair \uD83D\uDE00' },
      tags: { env: 'a\uFFFDb' },
      response_body: '{"text":"nul \uFFFD here"}',
    });
    expect(rows[2]['user_id']).toBe('backslash \\u0000 text');
  });

  it('detects a chain head moved by another instance and rebuilds the batch on the new head', async () => {
    const project = randomUUID();
    const countA = new StatementCounter();
    const dsA = dataSource(TEST_DATABASE_URL, {}, countA);
    await dsA.initialize();
    try {
      const a = new AuditRepository(dsA);
      const b = new AuditRepository(ds);
      await a.insertChained([recordFor(project, 1)]); // A caches head seq 1
      await b.insertChained([recordFor(project, 2)]); // B moves it to 2
      const written = await a.insertChained([recordFor(project, 3)]); // A's cached head is stale
      expect(written.map((r) => r.seq)).toEqual([3]);
      expect(countA.count('FROM "audit_chain_heads"')).toBe(2); // the first read, and the re-read after the conflict
      const rows = await rowsOf(project);
      expect(rows.map((r) => [Number(r['seq']), r['external_request_id']])).toEqual([
        [1, 'corr-1'],
        [2, 'corr-2'],
        [3, 'corr-3'],
      ]);
      expect(rows[1]['prev_hash']).toBe(rows[0]['hash']);
      expect(rows[2]['prev_hash']).toBe(rows[1]['hash']);
    } finally {
      await dsA.destroy();
    }
  });

  it('lets several instances extend one chain concurrently without gaps or forks', async () => {
    const project = randomUUID();
    const others = [dataSource(TEST_DATABASE_URL), dataSource(TEST_DATABASE_URL)];
    await Promise.all(others.map((o) => o.initialize()));
    try {
      const instances = [
        writer({ flushMs: 5, batchSize: 7 }, others[0]),
        writer({ flushMs: 5, batchSize: 7 }, others[1]),
        writer({ flushMs: 5, batchSize: 7 }),
      ];
      for (const w of instances) w.start();
      for (let i = 0; i < 150; i++) {
        instances[i % 3].enqueue(recordFor(project, i));
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(instances.map((w) => w.close()));
      const rows: Record<string, unknown>[] = await ds.query(
        `SELECT l.*, to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text
         FROM audit_logs l WHERE l.project_id = $1 ORDER BY l.seq`,
        [project],
      );
      expect(rows.map((r) => Number(r['seq']))).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
      let prev = GENESIS_HASH;
      for (const row of rows) {
        expect(row['prev_hash']).toBe(prev);
        prev = row['hash'] as string;
      }
      const head = await ds.query(`SELECT last_seq, last_hash FROM audit_chain_heads WHERE project_id = $1`, [project]);
      expect(head).toEqual([{ last_seq: '150', last_hash: prev }]);
    } finally {
      await Promise.all(others.map((o) => o.destroy()));
    }
  });

  it('puts rows in the partition of their month, and the partitions ahead exist', async () => {
    const project = randomUUID();
    const now = new Date();
    const [current, next] = partitionRanges(now, 'month', 1);
    const w = writer({ flushMs: 60_000 });
    w.enqueue(recordFor(project, 1, { at: now }));
    w.enqueue(recordFor(project, 2, { at: new Date(next.from.getTime() + 3_600_000) }));
    await w.flushNow();
    const rows: { p: string; n: string }[] = await ds.query(
      `SELECT tableoid::regclass::text AS p, external_request_id AS n FROM audit_logs WHERE project_id = $1 ORDER BY seq`,
      [project],
    );
    expect(rows).toEqual([
      { p: `audit_logs_p${current.suffix}`, n: 'corr-1' },
      { p: `audit_logs_p${next.suffix}`, n: 'corr-2' },
    ]);
    const bodies: { p: string }[] = await ds.query(
      `SELECT tableoid::regclass::text AS p FROM audit_log_bodies WHERE audit_log_id = ANY($1::uuid[]) ORDER BY created_at`,
      [await ds.query(`SELECT array_agg(id) AS ids FROM audit_logs WHERE project_id = $1`, [project]).then((r) => r[0].ids)],
    );
    expect(bodies.map((b) => b.p)).toEqual([`audit_log_bodies_p${current.suffix}`, `audit_log_bodies_p${next.suffix}`]);

    const partitions = new AuditPartitionRepository(ds);
    const names = await partitions.partitions('audit_logs');
    for (const range of partitionRanges(now, 'month', 3)) expect(names).toContain(`audit_logs_p${range.suffix}`);
    expect(names).toContain('audit_logs_default');
  });

  it('maintenance creates partitions ahead under the lock, and moves rows out of the DEFAULT partition', async () => {
    const project = randomUUID();
    const far = new Date(Date.UTC(2093, 5, 15)); // far beyond any partition: lands in DEFAULT
    const w = writer({ flushMs: 60_000 });
    w.enqueue(recordFor(project, 1, { at: far }));
    await w.flushNow();
    const where = async () =>
      (await ds.query(`SELECT tableoid::regclass::text AS p FROM audit_logs WHERE project_id = $1`, [project]))[0].p as string;
    expect(await where()).toBe('audit_logs_default');

    const metrics = new AuditMetrics(new Registry());
    const service = new AuditPartitionService(new AuditPartitionRepository(ds), store, logger, metrics, { unit: 'month', ahead: 2 });
    const other = new AuditPartitionService(new AuditPartitionRepository(ds), store, logger, metrics, { unit: 'month', ahead: 2 });
    try {
      // Another instance holds the lock: this one does nothing.
      await store.set(AUDIT_MAINTENANCE_LOCK_KEY, 'someone-else', 60);
      expect(await other.runMaintenance(far)).toBe(false);
      await store.del(AUDIT_MAINTENANCE_LOCK_KEY);

      expect(await service.runMaintenance(far)).toBe(true);
      expect(await store.get(AUDIT_MAINTENANCE_LOCK_KEY)).toBeNull(); // released
      expect(await where()).toBe('audit_logs_p2093_06');
      const bodyPartition = await ds.query(
        `SELECT tableoid::regclass::text AS p FROM audit_log_bodies WHERE audit_log_id = (SELECT id FROM audit_logs WHERE project_id = $1)`,
        [project],
      );
      expect(bodyPartition).toEqual([{ p: 'audit_log_bodies_p2093_06' }]);
      const names = await new AuditPartitionRepository(ds).partitions('audit_logs');
      expect(names).toEqual(expect.arrayContaining(['audit_logs_p2093_06', 'audit_logs_p2093_07', 'audit_logs_p2093_08']));
      // Idempotent.
      expect(Object.values(await service.ensurePartitions(far)).every((o) => o === 'exists')).toBe(true);
    } finally {
      for (const table of ['audit_logs', 'audit_log_bodies']) {
        for (const suffix of ['2093_06', '2093_07', '2093_08']) await ds.query(`DROP TABLE IF EXISTS "${table}_p${suffix}"`);
      }
    }
  });

  it('counts and logs rows found in the DEFAULT partition', async () => {
    const project = randomUUID();
    const metrics = new AuditMetrics(new Registry());
    const w = writer({ flushMs: 60_000 });
    w.enqueue(recordFor(project, 1, { at: new Date(Date.UTC(2099, 0, 1)) }));
    await w.flushNow();
    const service = new AuditPartitionService(new AuditPartitionRepository(ds), store, logger, metrics, { unit: 'month', ahead: 1 });
    await service.ensurePartitions(new Date());
    expect(await metricValue(metrics, 'ailink_audit_default_partition_rows')).toBeGreaterThanOrEqual(1);
    await ds.query(`DELETE FROM audit_logs_default WHERE project_id = $1`, [project]);
    await ds.query(`DELETE FROM audit_log_bodies_default WHERE created_at >= '2099-01-01'`);
  });

  describe('with PostgreSQL behind a proxy that can be paused', () => {
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
      const project = randomUUID();
      const metrics = new AuditMetrics(new Registry());
      const w = writer({ flushMs: 20, batchSize: 10 }, proxied, metrics);
      w.start();
      w.enqueue(recordFor(project, 0));
      await waitFor(async () => (await countOf(project)) === 1, 5000, 'first record');

      proxy.pause();
      for (let i = 1; i <= 50; i++) w.enqueue(recordFor(project, i));
      await waitFor(async () => (await metricValue(metrics, 'ailink_audit_flush_failures_total')) >= 2, 10_000, 'failed flushes');
      expect(await countOf(project)).toBe(1);
      expect(w.buffered).toBe(50);

      proxy.resume();
      await waitFor(async () => (await countOf(project)) === 51, 15_000, 'all records after recovery');
      const rows = await rowsOf(project);
      expect(rows.map((r) => Number(r['seq']))).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
      expect(rows.map((r) => r['external_request_id'])).toEqual(Array.from({ length: 51 }, (_, i) => `corr-${i}`));
      expect(await metricValue(metrics, 'ailink_audit_dropped_total')).toBe(0);
      await waitFor(async () => w.buffered === 0, 5000, 'buffer drained after the last commit');
    });

    it('spills overflow to the Redis list and drains it into PostgreSQL', async () => {
      const project = randomUUID();
      const metrics = new AuditMetrics(new Registry());
      const w = writer({ flushMs: 20, batchSize: 5, queueMax: 10 }, proxied, metrics);
      w.start();
      proxy.pause();
      for (let i = 0; i < 30; i++) w.enqueue(recordFor(project, i));
      expect(w.buffered).toBe(10);
      await waitFor(async () => (await store.listLength(AUDIT_SPILL_KEY)) === 20, 5000, 'spilled records');
      expect(await metricValue(metrics, 'ailink_audit_spilled_total')).toBe(20);

      proxy.resume();
      await waitFor(async () => (await countOf(project)) === 30, 15_000, 'buffered and spilled records in PostgreSQL');
      expect(await store.listLength(AUDIT_SPILL_KEY)).toBe(0);
      expect(await metricValue(metrics, 'ailink_audit_dropped_total')).toBe(0);
      const ids = (await rowsOf(project)).map((r) => r['external_request_id']);
      expect(new Set(ids).size).toBe(30);
    });

    it('another instance drains a spill list it did not write', async () => {
      const project = randomUUID();
      const spiller = writer({ flushMs: 60_000, queueMax: 1 }, proxied);
      for (let i = 0; i < 6; i++) spiller.enqueue(recordFor(project, i));
      await waitFor(async () => (await store.listLength(AUDIT_SPILL_KEY)) === 5, 5000, 'spilled records');
      const drainer = writer({ flushMs: 20 });
      drainer.start();
      await waitFor(async () => (await countOf(project)) === 5, 10_000, 'drained records');
      await spiller.close();
      expect(await countOf(project)).toBe(6);
    });
  });

  it('flushes the buffer on shutdown', async () => {
    const project = randomUUID();
    const w = writer({ flushMs: 60_000 });
    w.start();
    for (let i = 0; i < 25; i++) w.enqueue(recordFor(project, i));
    expect(await countOf(project)).toBe(0);
    await w.close();
    expect(await countOf(project)).toBe(25);
  });
});

describe('audit storage on embedded PGlite (PostgreSQL 18)', () => {
  let dataDir: string;
  let embedded: EmbeddedPostgres;
  let ds: DataSource;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ailink-audit-pglite-'));
    embedded = new EmbeddedPostgres();
    const { socketDir, port } = await embedded.start(dataDir);
    ds = new DataSource({
      type: 'postgres',
      host: socketDir,
      port,
      username: 'postgres',
      database: 'postgres',
      migrations: ALL_MIGRATIONS,
      extra: { max: 1 },
    });
    await ds.initialize();
    await runMigrations(ds);
  }, 120_000);

  afterAll(async () => {
    await ds?.destroy();
    await embedded?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('migrates, writes a batch, and runs the partition maintenance', async () => {
    const project = randomUUID();
    const kv = new MemoryKeyValueStore();
    const w = new AuditWriter(new AuditRepository(ds), kv, logger, new AuditMetrics(new Registry()), {
      flushMs: 60_000,
      batchSize: 50,
      queueMax: 1000,
      queueMaxBytes: 64 * 1024 * 1024,
      spillMax: 1000,
    });
    for (let i = 0; i < 120; i++) w.enqueue(recordFor(project, i, { at: new Date(Date.UTC(2093, 5, 1) + i) }));
    await w.close();
    const rows = await ds.query(
      `SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM audit_logs WHERE project_id = $1 GROUP BY 1`,
      [project],
    );
    expect(rows).toEqual([{ p: 'audit_logs_default', n: 120 }]);
    const service = new AuditPartitionService(new AuditPartitionRepository(ds), kv, logger, new AuditMetrics(new Registry()), {
      unit: 'day',
      ahead: 1,
    });
    expect(await service.runMaintenance(new Date(Date.UTC(2093, 5, 1)))).toBe(true);
    const moved = await ds.query(
      `SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM audit_logs WHERE project_id = $1 GROUP BY 1`,
      [project],
    );
    expect(moved).toEqual([{ p: 'audit_logs_p2093_06_01', n: 120 }]);
    await kv.close();
  }, 60_000);
});
