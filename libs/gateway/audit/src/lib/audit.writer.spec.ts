import pino from 'pino';
import { Registry } from 'prom-client';
import { MemoryKeyValueStore, type KeyValueStore } from '@ailink/gateway-redis';
import { AUDIT_SPILL_KEY, AUDIT_STREAM_CHANNEL, AUDIT_STREAM_HELLO_CHANNEL } from './audit.constants';
import { AuditMetrics } from './audit.metrics';
import type { AuditRepository } from './audit.repository';
import { AuditWriter, type AuditWriterOptions, isPermanentWriteError } from './audit.writer';
import type { AuditRecord, ChainedAuditRecord } from './audit-record';

const logger = pino({ level: 'silent' });

function record(n: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    created_at: new Date(Date.UTC(2026, 2, 1, 0, 0, 0, n)).toISOString(),
    project_id: '00000000-0000-0000-0000-000000000001',
    request_id: `req_${n}`,
    path: '/v1/chat/completions',
    upstream_url: null,
    bodies: null,
    ...extra,
  } as AuditRecord;
}

/** Stands in for PostgreSQL in the unit tier: records calls, can be told to fail. */
class FakeRepository {
  readonly batches: AuditRecord[][] = [];
  failures: unknown[] = [];
  refuse?: (r: AuditRecord) => boolean;
  get written(): AuditRecord[] {
    return this.batches.flat();
  }
  async insertChained(records: readonly AuditRecord[]): Promise<ChainedAuditRecord[]> {
    if (this.failures.length > 0) throw this.failures.shift();
    if (this.refuse && records.some(this.refuse)) throw Object.assign(new Error('value too long'), { code: '22001' });
    this.batches.push([...records]);
    return records.map((r, i) => ({ ...r, seq: i + 1, prev_hash: '0'.repeat(64), hash: 'f'.repeat(64) }));
  }
}

const connectionError = () => Object.assign(new Error('Connection terminated unexpectedly'), {});

async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('AuditWriter', () => {
  let repository: FakeRepository;
  let store: KeyValueStore;
  let metrics: AuditMetrics;
  let writer: AuditWriter;
  const counter = async (name: string) => (await metrics.registry.getSingleMetricAsString(name)).split('\n').pop();

  function create(options: Partial<AuditWriterOptions> = {}, kv: KeyValueStore = store): AuditWriter {
    writer = new AuditWriter(repository as unknown as AuditRepository, kv, logger, metrics, {
      flushMs: 20,
      batchSize: 500,
      queueMax: 50_000,
      queueMaxBytes: 256 * 1024 * 1024,
      spillMax: 1000,
      maxBackoffMs: 50,
      shutdownTimeoutMs: 300,
      spillCheckMs: 10,
      ...options,
    });
    return writer;
  }

  beforeEach(() => {
    repository = new FakeRepository();
    store = new MemoryKeyValueStore();
    metrics = new AuditMetrics(new Registry());
  });

  afterEach(async () => {
    await writer?.close();
    await store.close();
  });

  it('writes in batches of the batch size, oldest first', async () => {
    create({ flushMs: 60_000 });
    for (let i = 0; i < 1200; i++) writer.enqueue(record(i));
    await writer.flushNow();
    expect(repository.batches.map((b) => b.length)).toEqual([500, 500, 200]);
    expect(repository.written.map((r) => r.request_id)).toEqual(Array.from({ length: 1200 }, (_, i) => `req_${i}`));
    expect(writer.buffered).toBe(0);
    expect(await counter('ailink_audit_flushed_total')).toMatch(/ 1200$/);
  });

  it('flushes on the timer, and at once when a batch is full', async () => {
    create({ flushMs: 30 }).start();
    writer.enqueue(record(1));
    await waitFor(() => repository.written.length === 1);

    await writer.close();
    repository = new FakeRepository();
    create({ flushMs: 60_000, batchSize: 10 }).start();
    for (let i = 0; i < 10; i++) writer.enqueue(record(i));
    await waitFor(() => repository.written.length === 10, 1000);
  });

  it('keeps a batch while PostgreSQL fails and retries it with backoff', async () => {
    create({ flushMs: 10 }).start();
    repository.failures = [connectionError(), connectionError(), connectionError()];
    for (let i = 0; i < 5; i++) writer.enqueue(record(i));
    await waitFor(() => repository.written.length === 5);
    expect(repository.batches).toHaveLength(1);
    expect(await counter('ailink_audit_flush_failures_total')).toMatch(/ 3$/);
    expect(await counter('ailink_audit_dropped_total')).toMatch(/ 0$/);
  });

  it('writes a refused batch record by record and drops only the bad record', async () => {
    create({ flushMs: 60_000 });
    repository.refuse = (r) => r.request_id === 'req_2';
    for (let i = 0; i < 5; i++) writer.enqueue(record(i));
    await writer.flushNow();
    expect(repository.written.map((r) => r.request_id)).toEqual(['req_0', 'req_1', 'req_3', 'req_4']);
    expect(await counter('ailink_audit_dropped_total')).toMatch(/ 1$/);
    expect(isPermanentWriteError({ code: '23505' })).toBe(true);
    expect(isPermanentWriteError({ code: '08006' })).toBe(false);
    expect(isPermanentWriteError(new Error('ECONNREFUSED'))).toBe(false);
  });

  it('spills on overflow (records or bytes) and drains the spill list once there is room', async () => {
    create({ flushMs: 60_000, queueMax: 10 });
    for (let i = 0; i < 15; i++) writer.enqueue(record(i));
    expect(writer.buffered).toBe(10);
    await waitFor(async () => (await metrics.spilled.get()).values[0]?.value === 5);
    expect(await store.listLength(AUDIT_SPILL_KEY)).toBe(5);
    await writer.flushNow();
    expect(await store.listLength(AUDIT_SPILL_KEY)).toBe(0);
    expect(repository.written.map((r) => r.request_id).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `req_${i}`).sort());

    await writer.close();
    create({ flushMs: 60_000, queueMaxBytes: 1024 * 1024 });
    const big = record(99, {
      bodies: { request_body: 'x'.repeat(300 * 1024), response_body: null, request_headers: null, response_headers: null },
    });
    writer.enqueue(big);
    writer.enqueue({ ...big, id: '00000000-0000-4000-8000-000000000100', request_id: 'req_100' });
    expect(writer.buffered).toBe(1);
    await waitFor(async () => (await metrics.spilled.get()).values[0]?.value === 6);
    expect(await store.listLength(AUDIT_SPILL_KEY)).toBe(1);
  });

  it('drops (counted, logged) what the spill list cannot take or when Redis fails', async () => {
    const errors: string[] = [];
    const spyLogger = pino({ level: 'error' }, { write: (line: string) => errors.push(line) });
    writer = new AuditWriter(repository as unknown as AuditRepository, store, spyLogger, metrics, {
      flushMs: 60_000,
      batchSize: 500,
      queueMax: 1,
      queueMaxBytes: 1 << 30,
      spillMax: 2,
    });
    for (let i = 0; i < 5; i++) writer.enqueue(record(i));
    await waitFor(() => errors.length > 0);
    expect(await store.listLength(AUDIT_SPILL_KEY)).toBe(2);
    expect(await counter('ailink_audit_dropped_total')).toMatch(/ 2$/);
    expect(errors.join('')).toMatch(/Audit records dropped: audit buffer full and the spill list is full/);

    const broken = { ...store, pushList: () => Promise.reject(new Error('Redis down')) } as unknown as KeyValueStore;
    await writer.close();
    metrics = new AuditMetrics(new Registry());
    create({ flushMs: 60_000, queueMax: 1 }, broken);
    writer.enqueue(record(1));
    writer.enqueue(record(2));
    await waitFor(async () => (await metrics.dropped.get()).values[0]?.value === 1);
  });

  it('never throws from enqueue', () => {
    create();
    expect(() => writer.enqueue(null as unknown as AuditRecord)).not.toThrow();
  });

  it('flushes the buffer on close, and spills what PostgreSQL would not take before the deadline', async () => {
    create({ flushMs: 60_000 }).start();
    for (let i = 0; i < 3; i++) writer.enqueue(record(i));
    await writer.close();
    expect(repository.written).toHaveLength(3);

    repository = new FakeRepository();
    create({ flushMs: 60_000, shutdownTimeoutMs: 100 }).start();
    repository.failures = Array.from({ length: 1000 }, connectionError);
    for (let i = 0; i < 3; i++) writer.enqueue(record(i));
    await writer.close();
    expect(repository.written).toHaveLength(0);
    expect(await store.listLength(AUDIT_SPILL_KEY)).toBe(3);
    // Records arriving after close go to the spill list too.
    writer.enqueue(record(9));
    await waitFor(() => false, 50).catch(() => undefined);
    expect(await store.listLength(AUDIT_SPILL_KEY)).toBe(4);
  });

  it('stops building stream summaries while nobody listens, and resumes on a listener hello', async () => {
    create({ flushMs: 60_000 });
    writer.onModuleInit();
    await waitFor(async () => (await store.publish(AUDIT_STREAM_HELLO_CHANNEL, 'probe')) === 1); // the writer follows hellos
    await new Promise((r) => setTimeout(r, 10)); // let the probe's delivery pass
    const published: string[] = [];
    const publish = jest.spyOn(store, 'publish');
    writer.enqueue(record(1));
    await writer.flushNow(); // nobody listens: this publish reaches 0 receivers
    await waitFor(() => publish.mock.calls.some(([c]) => c === AUDIT_STREAM_CHANNEL));
    await new Promise((r) => setImmediate(r));
    publish.mockClear();
    writer.enqueue(record(2));
    await writer.flushNow();
    expect(publish.mock.calls.filter(([c]) => c === AUDIT_STREAM_CHANNEL)).toHaveLength(0); // quiet
    await store.subscribe(AUDIT_STREAM_CHANNEL, (m) => void published.push(m));
    await store.publish(AUDIT_STREAM_HELLO_CHANNEL, '1');
    await new Promise((r) => setTimeout(r, 10));
    writer.enqueue(record(3));
    await writer.flushNow();
    await waitFor(() => published.length === 1);
    expect(JSON.parse(published[0])[0].request_id).toBeUndefined(); // summaries, not full records
    expect(JSON.parse(published[0])).toHaveLength(1);
  });
});
