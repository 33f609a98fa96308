import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { BullMqJobQueue, type BullMqConnections } from './bullmq-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { assertQueueName, type JobQueue, type JobQueueSettings } from './job-queue';

export interface QueueFactoryOptions {
  /** `REDIS_URL`. Set: BullMQ on Redis. Unset or empty: in-process queues (embedded mode). */
  redisUrl?: string;
  /** BullMQ key prefix. Default `ailink:bull`. */
  prefix?: string;
  /** Defaults for every queue (each `create` may override). */
  defaults?: Partial<JobQueueSettings>;
  /** BullMQ mode: `add` rejects after this long without Redis instead of hanging. Default 5000 ms. */
  addTimeoutMs?: number;
}

export type QueueMode = 'bullmq' | 'in-process';

/**
 * Makes named {@link JobQueue}s for the configured mode. One instance per name: creating a name
 * twice returns the same queue. In BullMQ mode all queues share one producer and one worker
 * connection. {@link close} (run on module destroy) closes every queue, then the connections.
 */
export class QueueFactory implements OnModuleInit, OnModuleDestroy {
  readonly mode: QueueMode;

  private readonly logger = new Logger(QueueFactory.name);
  private readonly queues = new Map<string, JobQueue<unknown>>();
  private connections: BullMqConnections | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: QueueFactoryOptions = {}) {
    this.mode = options.redisUrl ? 'bullmq' : 'in-process';
  }

  create<T>(queueName: string, settings: Partial<JobQueueSettings> = {}): JobQueue<T> {
    if (this.closing) throw new Error('QueueFactory is closed');
    assertQueueName(queueName);
    const existing = this.queues.get(queueName);
    if (existing) return existing as JobQueue<T>;
    const merged = { ...this.options.defaults, ...settings };
    const queue: JobQueue<T> =
      this.mode === 'bullmq'
        ? new BullMqJobQueue<T>(queueName, this.redis(), this.options.prefix ?? 'ailink:bull', merged, this.options.addTimeoutMs)
        : new InProcessJobQueue<T>(queueName, merged);
    this.queues.set(queueName, queue as JobQueue<unknown>);
    return queue;
  }

  /** In BullMQ mode, checks that Redis answers, so that startup fails with a clear message. */
  async onModuleInit(): Promise<void> {
    if (this.mode !== 'bullmq') return;
    const { producer } = this.redis();
    if (producer.status === 'ready') return;
    try {
      await producer.connect();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `Redis for job queues at ${redact(this.options.redisUrl ?? '')} is unreachable (${reason}). ` +
          'Start Redis, or unset REDIS_URL to run in embedded mode.',
      );
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  /** Closes every queue (waiting for running jobs), then the shared connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
      for (const result of results) {
        if (result.status === 'rejected') this.logger.warn(`Closing a queue failed: ${String(result.reason)}`);
      }
      if (this.connections) {
        await Promise.all([quit(this.connections.producer), quit(this.connections.worker)]);
      }
    })();
    return this.closing;
  }

  private redis(): BullMqConnections {
    if (!this.connections) {
      const url = this.options.redisUrl ?? '';
      const common: RedisOptions = {
        lazyConnect: true,
        connectTimeout: 2000,
        disconnectTimeout: 200,
        retryStrategy: (times) => Math.min(times * 100, 2000),
      };
      const producer = new Redis(url, {
        ...common,
        maxRetriesPerRequest: 1,
        connectionName: 'ailink:queue',
      });
      const worker = new Redis(url, {
        ...common,
        maxRetriesPerRequest: null,
        connectionName: 'ailink:worker',
      });
      for (const [role, connection] of [
        ['producer', producer],
        ['worker', worker],
      ] as const) {
        let down = false;
        connection.on('error', (error: Error) => {
          if (down) return;
          down = true;
          this.logger.warn(`Redis ${role} connection for queues: ${error.message}`);
        });
        connection.on('ready', () => {
          down = false;
        });
      }
      this.connections = { producer, worker };
    }
    return this.connections;
  }
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  if (connection.status === 'ready') {
    await Promise.race([connection.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
  if ((connection.status as string) !== 'end') connection.disconnect();
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable Redis URL>';
  }
}
