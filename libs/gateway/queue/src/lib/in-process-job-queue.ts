import { Logger } from '@nestjs/common';
import {
  assertConcurrency,
  assertJobOptions,
  assertQueueName,
  assertSettings,
  backoffDelay,
  DEFAULT_QUEUE_SETTINGS,
  type JobAddOptions,
  type JobHandler,
  JobQueue,
  type JobQueueSettings,
} from './job-queue';

interface PendingJob {
  id: string;
  name: string;
  /** JSON of the data; parsed afresh for every attempt, as BullMQ would. */
  payload: string;
  attempts: number;
  /** The attempt that runs next (1-based). */
  attempt: number;
  /** Whether the id was given by the caller (and so deduplicates). */
  customId: boolean;
}

/**
 * The embedded-mode queue: jobs live in this process and run on `setImmediate`, with delays,
 * attempts and exponential backoff like {@link BullMqJobQueue}. Jobs not finished at `close()` or
 * process exit are lost, which is acceptable only for the single-instance embedded mode.
 */
export class InProcessJobQueue<T> extends JobQueue<T> {
  private readonly logger: Logger;
  private readonly settings: JobQueueSettings;
  private readonly ready: PendingJob[] = [];
  private readonly delayed = new Map<PendingJob, NodeJS.Timeout>();
  private readonly liveIds = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private handler: JobHandler<T> | undefined;
  private concurrency = 1;
  private sequence = 0;
  private pumpScheduled = false;
  private closed = false;

  constructor(
    readonly name: string,
    settings: Partial<JobQueueSettings> = {},
  ) {
    super();
    assertQueueName(name);
    this.settings = { ...DEFAULT_QUEUE_SETTINGS, ...settings };
    assertSettings(this.settings);
    this.logger = new Logger(`InProcessJobQueue:${name}`);
  }

  async add(name: string, data: T, opts: JobAddOptions = {}): Promise<void> {
    if (this.closed) throw new Error(`Queue ${this.name} is closed`);
    assertJobOptions(opts);
    const customId = opts.jobId !== undefined;
    const id = opts.jobId ?? String(++this.sequence);
    if (customId && this.liveIds.has(id)) return;
    const job: PendingJob = {
      id,
      name,
      payload: JSON.stringify(data ?? null),
      attempts: opts.attempts ?? this.settings.defaultAttempts,
      attempt: 1,
      customId,
    };
    if (customId) this.liveIds.add(id);
    this.schedule(job, opts.delayMs ?? 0);
  }

  process(handler: JobHandler<T>, concurrency = 1): void {
    if (this.handler) throw new Error(`Queue ${this.name} already has a handler`);
    if (this.closed) throw new Error(`Queue ${this.name} is closed`);
    assertConcurrency(concurrency);
    this.handler = handler;
    this.concurrency = concurrency;
    this.pump();
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const timer of this.delayed.values()) clearTimeout(timer);
      const dropped = this.ready.length + this.delayed.size;
      this.ready.length = 0;
      this.delayed.clear();
      if (dropped > 0) this.logger.warn(`Closed with ${dropped} unprocessed job(s); they are lost`);
    }
    await Promise.all([...this.running]);
  }

  private schedule(job: PendingJob, delayMs: number): void {
    if (delayMs <= 0) {
      this.ready.push(job);
      this.pump();
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(job);
      this.ready.push(job);
      this.pump();
    }, delayMs);
    this.delayed.set(job, timer);
  }

  /** Starts ready jobs on the next turn of the event loop, up to the concurrency. */
  private pump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      while (this.handler && !this.closed && this.running.size < this.concurrency && this.ready.length > 0) {
        const job = this.ready.shift();
        if (job) this.start(job, this.handler);
      }
    });
  }

  private start(job: PendingJob, handler: JobHandler<T>): void {
    const run = this.attempt(job, handler);
    this.running.add(run);
    void run.finally(() => {
      this.running.delete(run);
      this.pump();
    });
  }

  private async attempt(job: PendingJob, handler: JobHandler<T>): Promise<void> {
    try {
      await handler({
        id: job.id,
        name: job.name,
        data: JSON.parse(job.payload) as T,
        attempt: job.attempt,
        attempts: job.attempts,
      });
      this.release(job);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (job.attempt < job.attempts && !this.closed) {
        const delay = backoffDelay(this.settings.backoffMs, job.attempt);
        job.attempt += 1;
        this.schedule(job, delay);
        return;
      }
      this.release(job);
      this.logger.error(`Job ${job.name} (${job.id}) failed after ${job.attempt} attempt(s): ${reason}`);
    }
  }

  private release(job: PendingJob): void {
    if (job.customId) this.liveIds.delete(job.id);
  }
}
