import { Logger } from '@nestjs/common';
import { type Job, type JobsOptions, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  assertConcurrency,
  assertJobOptions,
  assertQueueName,
  assertSettings,
  DEFAULT_QUEUE_SETTINGS,
  type JobAddOptions,
  type JobHandler,
  JobQueue,
  type JobQueueSettings,
} from './job-queue';

export interface BullMqConnections {
  /** For producers (`Queue`): commands fail fast when Redis is down. */
  producer: Redis;
  /** For workers: `maxRetriesPerRequest: null`, as BullMQ requires; duplicated for blocking reads. */
  worker: Redis;
}

/**
 * The external-mode queue: a BullMQ `Queue` plus, once {@link process} is called, a `Worker`.
 * Jobs live in Redis under `{prefix}:{queue name}:*`, so any instance may run them. Finished and
 * finally failed jobs are removed (failures are logged), which keeps a `jobId` reusable afterwards,
 * exactly like the in-process queue.
 */
export class BullMqJobQueue<T> extends JobQueue<T> {
  private readonly logger: Logger;
  private readonly queue: Queue<unknown, void, string>;
  private readonly settings: JobQueueSettings;
  private worker: Worker<unknown, void, string> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly name: string,
    private readonly connections: BullMqConnections,
    private readonly prefix: string,
    settings: Partial<JobQueueSettings> = {},
    private readonly addTimeoutMs = 5000,
  ) {
    super();
    assertQueueName(name);
    this.settings = { ...DEFAULT_QUEUE_SETTINGS, ...settings };
    assertSettings(this.settings);
    this.logger = new Logger(`BullMqJobQueue:${name}`);
    this.queue = new Queue<unknown, void, string>(name, {
      connection: connections.producer,
      prefix,
      defaultJobOptions: {
        attempts: this.settings.defaultAttempts,
        backoff: { type: 'exponential', delay: this.settings.backoffMs },
        removeOnComplete: true,
        removeOnFail: true,
      },
    });
    this.queue.on('error', (error) => this.logger.warn(`Queue error: ${error.message}`));
  }

  async add(name: string, data: T, opts: JobAddOptions = {}): Promise<void> {
    if (this.closing) throw new Error(`Queue ${this.name} is closed`);
    assertJobOptions(opts);
    const jobOptions: JobsOptions = {};
    if (opts.delayMs !== undefined) jobOptions.delay = opts.delayMs;
    if (opts.attempts !== undefined) jobOptions.attempts = opts.attempts;
    if (opts.jobId !== undefined) jobOptions.jobId = opts.jobId;
    // BullMQ waits for a connection that is not ready yet without any bound (it would hang while
    // Redis is down); give up after addTimeoutMs. The job may then still be stored later: give jobs
    // that must not run twice a jobId.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Adding a job to ${this.name} timed out: Redis unavailable?`)), this.addTimeoutMs);
    });
    try {
      await Promise.race([this.queue.add(name, data, jobOptions), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  process(handler: JobHandler<T>, concurrency = 1): void {
    if (this.worker) throw new Error(`Queue ${this.name} already has a handler`);
    if (this.closing) throw new Error(`Queue ${this.name} is closed`);
    assertConcurrency(concurrency);
    // BullMQ's generics do not resolve for an open T: the queue is typed unknown, and `add` only
    // accepts T, so the data read back is a (JSON round-tripped) T.
    const worker = new Worker<unknown, void, string>(
      this.name,
      async (job: Job<unknown, void, string>) =>
        handler({
          id: job.id ?? '',
          name: job.name,
          data: job.data as T,
          attempt: job.attemptsMade + 1,
          attempts: job.opts.attempts ?? 1,
        }),
      { connection: this.connections.worker, prefix: this.prefix, concurrency },
    );
    worker.on('error', (error) => this.logger.warn(`Worker error: ${error.message}`));
    worker.on('failed', (job, error) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
        this.logger.error(`Job ${job.name} (${job.id}) failed after ${job.attemptsMade} attempt(s): ${error.message}`);
      }
    });
    this.worker = worker;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // The worker first: it waits for running jobs, then the producer side.
      await this.worker?.close();
      await this.queue.close();
    })();
    return this.closing;
  }
}
