import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { KeyValueStore } from '@ailink/gateway-redis';
import { AUDIT_SPILL_KEY, AUDIT_STREAM_CHANNEL, AUDIT_STREAM_HELLO_CHANNEL } from './audit.constants';
import type { AuditMetrics } from './audit.metrics';
import { summaryOfRecord } from './audit.mapper';
import type { AuditRepository } from './audit.repository';
import { type AuditRecord, type ChainedAuditRecord, estimateRecordBytes } from './audit-record';

export interface AuditWriterOptions {
  /** `AILINK_AUDIT_FLUSH_MS`: a flush runs at least this often. */
  flushMs: number;
  /** `AILINK_AUDIT_BATCH_SIZE`: records per INSERT; a full batch is flushed at once. */
  batchSize: number;
  /** `AILINK_AUDIT_QUEUE_MAX`: records the buffer holds before spilling. */
  queueMax: number;
  /** `AILINK_AUDIT_QUEUE_MAX_BYTES`: estimated bytes the buffer holds before spilling. */
  queueMaxBytes: number;
  /** `AILINK_AUDIT_SPILL_MAX`: entries allowed in the Redis spill list (0: never spill). */
  spillMax: number;
  /** Longest wait between retries while PostgreSQL fails (default 5 s). */
  maxBackoffMs?: number;
  /** How long shutdown keeps retrying before it spills what is left (default 10 s). */
  shutdownTimeoutMs?: number;
  /** How often a writer with nothing spilled itself looks at the shared spill list (default 5 s). */
  spillCheckMs?: number;
}

interface Entry {
  record: AuditRecord;
  bytes: number;
}

/** Upper bound of one batch's estimated size, whatever the batch size (bodies can be up to 2 MiB a record). */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** Records waiting for their turn to be pushed to Redis (beyond this they are dropped and counted). */
const MAX_PENDING_SPILL = 20_000;
const SPILL_CHUNK = 500;
const PUBLISH_CHUNK = 200;
/** How long a flusher stays quiet after a publish nobody received (a listener's hello ends it early). */
const QUIET_MS = 2000;

/**
 * PostgreSQL error classes a retry cannot fix (data exceptions, integrity violations): such a batch
 * is written record by record so that one bad record cannot hold the others back. Anything else
 * (no connection, timeouts, shutdown, deadlocks, missing table) is retried with backoff.
 */
export function isPermanentWriteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/**
 * The audit write path (audit-and-observability.md §2). The request path only calls {@link enqueue},
 * which never throws, never waits and never touches the network. A timer flushes the buffer every
 * `flushMs` (or at once when a batch is full) as one multi-row INSERT per table per batch in one
 * transaction. While PostgreSQL fails, batches stay buffered and are retried with backoff. When the
 * buffer is full, records go to the Redis list `ailink:audit:spill` (bounded), which every writer
 * drains into its buffer when it has room; only when that fails too is a record dropped, counted in
 * `ailink_audit_dropped_total` and logged. {@link close} (module destroy, before the database and
 * Redis close) writes what is left.
 */
export class AuditWriter implements OnModuleInit, OnModuleDestroy {
  private queue: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private backoffMs = 0;
  private retryAt = 0;
  private failingSince = 0;
  private pendingSpill: AuditRecord[] = [];
  private spilling?: Promise<void>;
  private spillMayHaveRecords = true;
  private lastSpillCheck = 0;
  private started = false;
  /** No stream listener anywhere until then (epoch ms); 0 = publish. */
  private quietUntil = 0;
  private unsubscribeHello?: () => Promise<void>;
  private helloFailed = false;
  private closed = false;
  private closing?: Promise<void>;
  private readonly maxBackoffMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly spillCheckMs: number;

  constructor(
    private readonly repository: AuditRepository,
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
    private readonly metrics: AuditMetrics,
    private readonly options: AuditWriterOptions,
  ) {
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    this.spillCheckMs = options.spillCheckMs ?? 5000;
  }

  /** Records waiting in this process. */
  get buffered(): number {
    return this.queue.length - this.head;
  }

  onModuleInit(): void {
    this.start();
    this.store
      .subscribe(AUDIT_STREAM_HELLO_CHANNEL, () => {
        this.quietUntil = 0;
      })
      .then((unsubscribe) => (this.unsubscribeHello = unsubscribe))
      .catch((error: unknown) => {
        this.helloFailed = true;
        this.logger.debug({ err: error }, 'Audit: cannot follow stream listeners; written records are always published');
      });
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  /** Starts the flush timer (idempotent). */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.schedule(this.options.flushMs);
  }

  /** Hands a record to the write path. Never throws, never blocks; safe after {@link close} (then it spills). */
  enqueue(record: AuditRecord): void {
    try {
      if (this.closed) {
        this.spill([record]);
        return;
      }
      const bytes = estimateRecordBytes(record);
      if (this.buffered >= this.options.queueMax || this.bytes + bytes > this.options.queueMaxBytes) {
        this.spill([record]);
        return;
      }
      this.queue.push({ record, bytes });
      this.bytes += bytes;
      this.metrics.setBuffered(this.buffered);
      if (this.started && this.buffered >= this.options.batchSize && !this.running && Date.now() >= this.retryAt) this.schedule(0);
    } catch (error) {
      this.drop([record], `enqueue failed: ${errorMessage(error)}`);
    }
  }

  /** Runs one flush cycle now (buffer, then the spill list) and resolves when it ends. */
  flushNow(): Promise<void> {
    return this.cycle();
  }

  /** Stops the timer and writes what is buffered, retrying until the shutdown timeout; the rest is spilled. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    clearTimeout(this.timer);
    const hello = this.unsubscribeHello;
    this.unsubscribeHello = undefined;
    void hello?.().catch(() => undefined);
    this.closing = (async () => {
      await this.running?.catch(() => undefined);
      const deadline = Date.now() + this.shutdownTimeoutMs;
      while (this.buffered > 0 && Date.now() < deadline) {
        if (!(await this.flushBatch())) await sleep(Math.max(0, Math.min(this.backoffMs, deadline - Date.now())));
      }
      if (this.buffered > 0) {
        const rest = this.takeAll();
        this.logger.warn({ count: rest.length }, 'Audit: PostgreSQL unavailable at shutdown, moving buffered records to the spill list');
        this.spill(rest);
      }
      await this.spilling;
      this.metrics.setBuffered(this.buffered);
    })();
    return this.closing;
  }

  private schedule(delayMs: number): void {
    if (this.closed || !this.started) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.cycle(), delayMs);
    this.timer.unref();
  }

  private cycle(): Promise<void> {
    if (this.running) return this.running;
    const run = this.flushAvailable()
      .catch((error: unknown) => this.logger.error({ err: error }, 'Audit flush cycle failed'))
      .finally(() => {
        this.running = undefined;
        this.schedule(this.retryAt > Date.now() ? this.retryAt - Date.now() : this.options.flushMs);
      });
    this.running = run;
    return run;
  }

  /** Writes everything buffered, batch by batch, then tops the buffer up from the spill list. */
  private async flushAvailable(): Promise<void> {
    if (Date.now() < this.retryAt) return;
    for (;;) {
      if (this.buffered === 0 && (await this.drainSpill()) === 0) return;
      if (!(await this.flushBatch())) return;
      if (this.closed) return;
    }
  }

  /** Writes the oldest batch. False when PostgreSQL failed (the batch stays; backoff is set). */
  private async flushBatch(): Promise<boolean> {
    const batch = this.peekBatch();
    if (batch.length === 0) return true;
    const stop = this.metrics.flushSeconds.startTimer();
    try {
      const written = await this.repository.insertChained(batch.map((e) => e.record));
      stop();
      this.removeHead(batch.length);
      this.written(written);
      return true;
    } catch (error) {
      this.metrics.flushFailures.inc();
      if (isPermanentWriteError(error)) return this.isolate(batch);
      this.failed(error, batch.length);
      return false;
    }
  }

  /** A batch PostgreSQL refused for its content: write it record by record, dropping what it refuses. */
  private async isolate(batch: Entry[]): Promise<boolean> {
    for (const entry of batch) {
      try {
        this.written(await this.repository.insertChained([entry.record]));
      } catch (error) {
        if (!isPermanentWriteError(error)) {
          this.failed(error, this.buffered);
          return false;
        }
        this.drop([entry.record], `PostgreSQL refused the record: ${errorMessage(error)}`);
      }
      this.removeHead(1);
    }
    return true;
  }

  private written(records: ChainedAuditRecord[]): void {
    this.metrics.flushed.inc(records.length);
    this.metrics.setBuffered(this.buffered);
    if (this.failingSince) {
      this.logger.info({ down_ms: Date.now() - this.failingSince }, 'Audit: PostgreSQL writes succeed again');
      this.failingSince = 0;
    }
    this.backoffMs = 0;
    this.retryAt = 0;
    this.publish(records);
  }

  private failed(error: unknown, waiting: number): void {
    this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 100), this.maxBackoffMs);
    this.retryAt = Date.now() + this.backoffMs;
    if (!this.failingSince) {
      this.failingSince = Date.now();
      this.logger.warn({ err: error, buffered: waiting }, 'Audit: writing to PostgreSQL failed; records stay buffered and are retried');
    } else {
      this.logger.debug({ err: error, buffered: waiting, retry_in_ms: this.backoffMs }, 'Audit: write retry failed');
    }
  }

  /**
   * Announces written records to every instance's `/audit/stream` subscribers. Fire and forget.
   * When a publish reaches nobody, publishing pauses for {@link QUIET_MS} (summaries are not even
   * built) until an instance that starts listening says hello on the hello channel.
   */
  private publish(records: ChainedAuditRecord[]): void {
    if (!this.helloFailed && Date.now() < this.quietUntil) return;
    for (let i = 0; i < records.length; i += PUBLISH_CHUNK) {
      const message = JSON.stringify(records.slice(i, i + PUBLISH_CHUNK).map(summaryOfRecord));
      this.store.publish(AUDIT_STREAM_CHANNEL, message).then(
        (receivers) => {
          if (receivers === 0 && this.unsubscribeHello) this.quietUntil = Date.now() + QUIET_MS;
        },
        (error: unknown) => {
          this.logger.debug({ err: error }, 'Audit: could not publish written records to the stream channel');
        },
      );
    }
  }

  /** Moves spilled records into the buffer while there is room. Resolves to how many were taken. */
  private async drainSpill(): Promise<number> {
    if (this.options.spillMax <= 0 || this.closed) return 0;
    const now = Date.now();
    if (!this.spillMayHaveRecords && now - this.lastSpillCheck < this.spillCheckMs) return 0;
    const room = Math.min(this.options.batchSize, this.options.queueMax - this.buffered);
    if (room <= 0) return 0;
    this.lastSpillCheck = now;
    let values: string[];
    try {
      values = await this.store.popList(AUDIT_SPILL_KEY, room);
    } catch (error) {
      this.logger.debug({ err: error }, 'Audit: could not read the spill list');
      return 0;
    }
    if (values.length < room) this.spillMayHaveRecords = false;
    let taken = 0;
    for (const value of values) {
      const record = parseSpilled(value);
      if (!record) {
        this.drop([], 'unreadable entry in the spill list', 1);
        continue;
      }
      const bytes = estimateRecordBytes(record);
      this.queue.push({ record, bytes });
      this.bytes += bytes;
      taken++;
    }
    this.metrics.setBuffered(this.buffered);
    return values.length === 0 ? 0 : Math.max(taken, 1);
  }

  /** Queues records for the Redis spill list; pushes happen in the background, one at a time. */
  private spill(records: AuditRecord[]): void {
    if (records.length === 0) return;
    if (this.options.spillMax <= 0) {
      this.drop(records, 'audit buffer full and spilling disabled (AILINK_AUDIT_SPILL_MAX=0)');
      return;
    }
    const room = MAX_PENDING_SPILL - this.pendingSpill.length;
    if (room < records.length) {
      this.drop(records.slice(Math.max(room, 0)), 'audit buffer full and the spill list cannot keep up');
      records = records.slice(0, Math.max(room, 0));
    }
    this.pendingSpill.push(...records);
    if (!this.spilling) {
      this.spilling = this.pushSpill().finally(() => {
        this.spilling = undefined;
      });
    }
  }

  private async pushSpill(): Promise<void> {
    while (this.pendingSpill.length > 0) {
      const chunk = this.pendingSpill.splice(0, SPILL_CHUNK);
      let pushed = 0;
      try {
        const values = chunk.map((record) => JSON.stringify(record));
        pushed = await this.store.pushList(AUDIT_SPILL_KEY, values, this.options.spillMax);
        this.spillMayHaveRecords = true;
        if (pushed > 0) this.metrics.spilled.inc(pushed);
        if (pushed < chunk.length) {
          this.drop(chunk.slice(pushed), `audit buffer full and the spill list is full (AILINK_AUDIT_SPILL_MAX=${this.options.spillMax})`);
        }
      } catch (error) {
        this.drop(chunk.slice(pushed), `audit buffer full and Redis is unavailable for spilling: ${errorMessage(error)}`);
      }
    }
  }

  private drop(records: AuditRecord[], reason: string, count = records.length): void {
    this.metrics.dropped.inc(count);
    this.logger.error({ count, reason, request_ids: records.slice(0, 5).map((r) => r?.request_id) }, `Audit records dropped: ${reason}`);
  }

  private peekBatch(): Entry[] {
    const batch: Entry[] = [];
    let bytes = 0;
    for (let i = this.head; i < this.queue.length && batch.length < this.options.batchSize; i++) {
      const entry = this.queue[i];
      if (batch.length > 0 && bytes + entry.bytes > MAX_BATCH_BYTES) break;
      batch.push(entry);
      bytes += entry.bytes;
    }
    return batch;
  }

  private removeHead(count: number): void {
    for (let i = 0; i < count && this.head < this.queue.length; i++) {
      this.bytes -= this.queue[this.head].bytes;
      this.head++;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private takeAll(): AuditRecord[] {
    const rest = this.queue.slice(this.head).map((e) => e.record);
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    return rest;
  }
}

function parseSpilled(value: string): AuditRecord | null {
  try {
    const record = JSON.parse(value) as AuditRecord;
    if (typeof record?.id !== 'string' || typeof record.project_id !== 'string' || typeof record.created_at !== 'string') return null;
    return record;
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
