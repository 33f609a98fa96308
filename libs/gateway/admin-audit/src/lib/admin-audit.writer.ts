import type { OnApplicationShutdown, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { KeyValueStore } from '@ailink/gateway-redis';
import type { AdminAuditMetrics } from './admin-audit.metrics';
import { type AdminAuditRecord, isAdminAuditRecord } from './admin-audit-record';
import type { AdminAuditRepository } from './admin-audit.repository';

/** Redis list holding records this process could not write (buffer full, or PostgreSQL down at shutdown). */
export const ADMIN_AUDIT_SPILL_KEY = 'ailink:adminaudit:spill';

export interface AdminAuditWriterOptions {
  /** A flush runs at least this often (`AILINK_AUDIT_FLUSH_MS`). */
  flushMs: number;
  /** Records per INSERT; a full batch is flushed at once (`AILINK_AUDIT_BATCH_SIZE`). */
  batchSize: number;
  /** Records the buffer holds before spilling to Redis (`AILINK_AUDIT_QUEUE_MAX`). */
  queueMax: number;
  /** Entries allowed in the spill list (`AILINK_AUDIT_SPILL_MAX`; 0: never spill). */
  spillMax: number;
  /** Longest wait between retries while PostgreSQL fails (default 5 s). */
  maxBackoffMs?: number;
  /** How long shutdown keeps retrying before it spills what is left (default 10 s). */
  shutdownTimeoutMs?: number;
  /** How often a writer that found the spill list empty looks at it again (default 5 s). */
  spillCheckMs?: number;
}

/**
 * PostgreSQL error classes a retry cannot fix (data exceptions, integrity violations): such a batch
 * is written record by record so that one bad record cannot hold the others back.
 */
export function isPermanentWriteError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

/**
 * The admin audit write path, off the request's critical path: the interceptor only calls
 * {@link enqueue} (never throws, never waits); a timer writes the buffer every `flushMs` (or at once
 * when a batch is full) as one multi-row INSERT per batch. While PostgreSQL fails, records stay
 * buffered and are retried with backoff; beyond `queueMax` they go to the Redis list
 * {@link ADMIN_AUDIT_SPILL_KEY}, which every writer drains back. Shutdown loses nothing: module
 * destroy writes the buffer and switches to immediate writes for requests still finishing; the
 * application-shutdown hook (after the HTTP server closed, before the database pool closes) writes
 * what is left, retrying up to the shutdown timeout, and spills the rest to Redis.
 */
export class AdminAuditWriter implements OnModuleInit, OnModuleDestroy, OnApplicationShutdown {
  private buffer: AdminAuditRecord[] = [];
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lock: Promise<unknown> = Promise.resolve();
  private backoffMs = 0;
  private retryAt = 0;
  private failingSince = 0;
  private started = false;
  private draining = false;
  private closed = false;
  private closing?: Promise<void>;
  private readonly spills = new Set<Promise<void>>();
  private spillMayHaveRecords = true;
  private lastSpillCheck = 0;
  private readonly maxBackoffMs: number;
  private readonly shutdownTimeoutMs: number;
  private readonly spillCheckMs: number;

  constructor(
    private readonly repository: AdminAuditRepository,
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
    private readonly metrics: AdminAuditMetrics,
    private readonly options: AdminAuditWriterOptions,
  ) {
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
    this.spillCheckMs = options.spillCheckMs ?? 5000;
  }

  /** Records waiting in this process. */
  get buffered(): number {
    return this.buffer.length;
  }

  onModuleInit(): void {
    this.start();
  }

  /** Writes the buffer; from now on every record is written at once (requests may still be finishing). */
  async onModuleDestroy(): Promise<void> {
    this.draining = true;
    clearTimeout(this.timer);
    await this.flushUntil(Date.now() + this.shutdownTimeoutMs);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Starts the flush timer (idempotent); the first cycle also drains what an earlier process spilled. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.schedule(0);
  }

  /** Hands a record to the write path. Never throws, never blocks; after {@link close} it spills. */
  enqueue(record: AdminAuditRecord): void {
    try {
      if (this.closed) {
        this.spill([record]);
        return;
      }
      if (this.buffer.length >= this.options.queueMax) {
        this.spill([record]);
        return;
      }
      this.buffer.push(record);
      this.metrics.buffered.set(this.buffer.length);
      if (this.draining) void this.flushUntil(Date.now() + this.shutdownTimeoutMs);
      else if (this.started && this.buffer.length >= this.options.batchSize && !this.running && Date.now() >= this.retryAt)
        this.schedule(0);
    } catch (error) {
      this.drop([record], `enqueue failed: ${errorMessage(error)}`);
    }
  }

  /** Runs one flush cycle now (buffer, then the spill list) and resolves when it ends. */
  flushNow(): Promise<void> {
    return this.cycle();
  }

  /** Stops the timer, writes what is buffered (retrying up to the shutdown timeout) and spills the rest. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.draining = true;
    clearTimeout(this.timer);
    this.closing = (async () => {
      await this.flushUntil(Date.now() + this.shutdownTimeoutMs);
      this.closed = true;
      if (this.buffer.length > 0) {
        const rest = this.buffer.splice(0);
        this.logger.warn(
          { count: rest.length },
          'Admin audit: PostgreSQL unavailable at shutdown, moving buffered records to the spill list',
        );
        this.spill(rest);
      }
      this.metrics.buffered.set(0);
      await Promise.all(Array.from(this.spills));
    })();
    return this.closing;
  }

  private schedule(delayMs: number): void {
    if (this.closed || !this.started || this.draining) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.cycle(), delayMs);
    this.timer.unref();
  }

  private cycle(): Promise<void> {
    if (this.running) return this.running;
    const run = this.flushAvailable()
      .catch((error: unknown) => this.logger.error({ err: error }, 'Admin audit flush cycle failed'))
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
    for (let round = 0; round < 1000; round++) {
      if (this.buffer.length === 0 && (await this.drainSpill()) === 0) return;
      if (!(await this.exclusive(() => this.flushBatch()))) return;
      if (this.closed) return;
    }
  }

  /** Writes until the buffer is empty or the deadline passed (shutdown). */
  private async flushUntil(deadline: number): Promise<void> {
    await this.running?.catch(() => undefined);
    while (this.buffer.length > 0 && Date.now() < deadline) {
      if (!(await this.exclusive(() => this.flushBatch()))) {
        await sleep(Math.max(0, Math.min(this.backoffMs, deadline - Date.now())));
      }
    }
  }

  /** One batch write at a time: the head of the buffer is only removed by the write that took it. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work, work);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Writes the oldest batch. False when PostgreSQL failed (the batch stays; backoff is set). */
  private async flushBatch(): Promise<boolean> {
    const batch = this.buffer.slice(0, this.options.batchSize);
    if (batch.length === 0) return true;
    try {
      await this.repository.insertBatch(batch);
      this.removeHead(batch.length);
      this.written(batch.length);
      return true;
    } catch (error) {
      this.metrics.flushFailures.inc();
      if (isPermanentWriteError(error)) return this.isolate(batch);
      this.failed(error);
      return false;
    }
  }

  /** A batch PostgreSQL refused for its content: write it record by record, dropping what it refuses. */
  private async isolate(batch: AdminAuditRecord[]): Promise<boolean> {
    for (const record of batch) {
      try {
        await this.repository.insertBatch([record]);
        this.written(1);
      } catch (error) {
        if (!isPermanentWriteError(error)) {
          this.failed(error);
          return false;
        }
        this.drop([record], `PostgreSQL refused the record: ${errorMessage(error)}`);
      }
      this.removeHead(1);
    }
    return true;
  }

  private removeHead(count: number): void {
    this.buffer.splice(0, count);
    this.metrics.buffered.set(this.buffer.length);
  }

  private written(count: number): void {
    this.metrics.written.inc(count);
    if (this.failingSince) {
      this.logger.info({ down_ms: Date.now() - this.failingSince }, 'Admin audit: PostgreSQL writes succeed again');
      this.failingSince = 0;
    }
    this.backoffMs = 0;
    this.retryAt = 0;
  }

  private failed(error: unknown): void {
    this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 100), this.maxBackoffMs);
    this.retryAt = Date.now() + this.backoffMs;
    if (!this.failingSince) {
      this.failingSince = Date.now();
      this.logger.warn({ err: error, buffered: this.buffer.length }, 'Admin audit: writing to PostgreSQL failed; records stay buffered');
    }
  }

  /** Moves spilled records into the buffer while there is room. Resolves to how many were taken. */
  private async drainSpill(): Promise<number> {
    if (this.options.spillMax <= 0 || this.closed) return 0;
    const now = Date.now();
    if (!this.spillMayHaveRecords && now - this.lastSpillCheck < this.spillCheckMs) return 0;
    const room = Math.min(this.options.batchSize, this.options.queueMax - this.buffer.length);
    if (room <= 0) return 0;
    this.lastSpillCheck = now;
    let values: string[];
    try {
      values = await this.store.popList(ADMIN_AUDIT_SPILL_KEY, room);
    } catch (error) {
      this.logger.debug({ err: error }, 'Admin audit: could not read the spill list');
      return 0;
    }
    this.spillMayHaveRecords = values.length === room;
    let taken = 0;
    for (const value of values) {
      const record = parseRecord(value);
      if (!record) {
        this.drop([], 'unreadable entry in the spill list', 1);
        continue;
      }
      this.buffer.push(record);
      taken++;
    }
    this.metrics.buffered.set(this.buffer.length);
    return values.length === 0 ? 0 : Math.max(taken, 1);
  }

  /** Pushes records to the Redis spill list in the background (awaited by {@link close}). */
  private spill(records: AdminAuditRecord[]): void {
    if (records.length === 0) return;
    if (this.options.spillMax <= 0) {
      this.drop(records, 'admin audit buffer full and spilling disabled (AILINK_AUDIT_SPILL_MAX=0)');
      return;
    }
    const push = (async () => {
      let pushed = 0;
      try {
        pushed = await this.store.pushList(
          ADMIN_AUDIT_SPILL_KEY,
          records.map((r) => JSON.stringify(r)),
          this.options.spillMax,
        );
        this.spillMayHaveRecords = true;
        if (pushed > 0) this.metrics.spilled.inc(pushed);
        if (pushed < records.length) this.drop(records.slice(pushed), 'the admin audit spill list is full');
      } catch (error) {
        this.drop(records.slice(pushed), `Redis is unavailable for spilling: ${errorMessage(error)}`);
      }
    })();
    this.spills.add(push);
    void push.finally(() => this.spills.delete(push));
  }

  private drop(records: AdminAuditRecord[], reason: string, count = records.length): void {
    this.metrics.dropped.inc(count);
    this.logger.error(
      { count, reason, request_ids: records.slice(0, 5).map((r) => r.request_id) },
      `Admin audit records dropped: ${reason}`,
    );
  }
}

function parseRecord(value: string): AdminAuditRecord | null {
  try {
    const parsed = JSON.parse(value) as unknown;
    return isAdminAuditRecord(parsed) ? parsed : null;
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
