/** Options of one job. */
export interface JobAddOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /** Total attempts (first run included) before the job is given up; default from the queue. */
  attempts?: number;
  /**
   * Deduplication id: adding a job whose id is still waiting, delayed or running is a no-op.
   * Not an integer and no `:` (BullMQ rules, enforced in both modes).
   */
  jobId?: string;
}

/** What a handler receives. `data` is a JSON copy of what was added (as BullMQ stores it). */
export interface QueueJob<T> {
  id: string;
  name: string;
  data: T;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /** Attempts allowed in total; `attempt === attempts` is the last one. */
  attempts: number;
}

/** Processes one job; a rejection fails the attempt (retried with exponential backoff). */
export type JobHandler<T> = (job: QueueJob<T>) => Promise<void>;

/** Per-queue settings. */
export interface JobQueueSettings {
  /** Attempts when `add` does not say. Default 3. */
  defaultAttempts: number;
  /** Wait before retry n is `backoffMs · 2^(n−1)`. Default 1000 ms. */
  backoffMs: number;
}

export const DEFAULT_QUEUE_SETTINGS: JobQueueSettings = {
  defaultAttempts: 3,
  backoffMs: 1000,
};

/**
 * A named background job queue; used through {@link QueueFactory}. `BullMqJobQueue` (external mode:
 * jobs in Redis, shared by every instance) and `InProcessJobQueue` (embedded mode: jobs in memory,
 * lost on exit) behave the same way. Job data must be JSON-serialisable.
 */
export abstract class JobQueue<T> {
  abstract readonly name: string;

  /** Enqueues a job; resolves once it is stored. */
  abstract add(name: string, data: T, opts?: JobAddOptions): Promise<void>;

  /** Starts processing with `handler`, at most `concurrency` jobs at once (default 1). Once per queue. */
  abstract process(handler: JobHandler<T>, concurrency?: number): void;

  /** Stops taking jobs and waits for the running ones. Idempotent. */
  abstract close(): Promise<void>;
}

/** Rules shared by both implementations so that they accept and refuse the same input. */
export function assertQueueName(name: string): void {
  if (name.length === 0 || name.includes(':')) {
    throw new Error(`Invalid queue name "${name}": must be non-empty without ":"`);
  }
}

export function assertJobOptions(opts: JobAddOptions): void {
  if (opts.delayMs !== undefined && (!Number.isInteger(opts.delayMs) || opts.delayMs < 0)) {
    throw new RangeError(`delayMs must be a non-negative integer, got ${opts.delayMs}`);
  }
  if (opts.attempts !== undefined && (!Number.isInteger(opts.attempts) || opts.attempts < 1)) {
    throw new RangeError(`attempts must be a positive integer, got ${opts.attempts}`);
  }
  if (opts.jobId !== undefined) {
    const { jobId } = opts;
    if (jobId.length === 0 || jobId.includes(':') || `${parseInt(jobId, 10)}` === jobId) {
      throw new Error(`Invalid jobId "${jobId}": must be non-empty, not an integer, without ":"`);
    }
  }
}

export function assertConcurrency(concurrency: number): void {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
}

export function assertSettings(settings: JobQueueSettings): void {
  if (!Number.isInteger(settings.defaultAttempts) || settings.defaultAttempts < 1) {
    throw new RangeError(`defaultAttempts must be a positive integer`);
  }
  if (!Number.isInteger(settings.backoffMs) || settings.backoffMs < 0) {
    throw new RangeError(`backoffMs must be a non-negative integer`);
  }
}

/** Delay before the retry that follows failed attempt `attempt` (1-based). */
export function backoffDelay(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** (attempt - 1);
}
