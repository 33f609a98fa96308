import { Test } from '@nestjs/testing';
import { BullMqJobQueue } from './bullmq-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { QueueFactory } from './queue.factory';
import { QueueModule } from './queue.module';
import { deliveryHandler, describeJobQueueContract, type DeliveryJob, type Run } from './testing/job-queue.contract';
import { deletePrefix, requireRedis, TEST_REDIS_URL, uniquePrefix, waitFor } from './testing/queue-test-support';

const prefixes: string[] = [];

function bullFactory(): QueueFactory {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  return new QueueFactory({ redisUrl: TEST_REDIS_URL, prefix });
}

beforeAll(async () => {
  await requireRedis();
});

afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(prefix);
});

describeJobQueueContract('bullmq', bullFactory);

describe('the same handler under both implementations', () => {
  it.each([
    ['in-process', () => new QueueFactory({ defaults: { backoffMs: 100 } })],
    [
      'bullmq',
      () => {
        const prefix = uniquePrefix();
        prefixes.push(prefix);
        return new QueueFactory({
          redisUrl: TEST_REDIS_URL,
          prefix,
          defaults: { backoffMs: 100 },
        });
      },
    ],
  ] as const)('%s: delivers after a failed first attempt', async (mode, make) => {
    const factory = make();
    try {
      const runs: Run[] = [];
      const queue = factory.create<DeliveryJob>('webhook-deliveries');
      expect(queue).toBeInstanceOf(mode === 'bullmq' ? BullMqJobQueue : InProcessJobQueue);
      queue.process(deliveryHandler(runs));
      await queue.add('deliver', { url: 'http://hook.test/flaky', failures: 1 }, { attempts: 3 });
      await waitFor(() => runs.length === 2, 5000, 'the retry');
      expect(runs.map((r) => [r.name, r.attempt, r.attempts])).toEqual([
        ['deliver', 1, 3],
        ['deliver', 2, 3],
      ]);
    } finally {
      await factory.close();
    }
  });
});

describe('BullMqJobQueue across instances', () => {
  it('lets a job added on one instance run on another', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const producer = new QueueFactory({ redisUrl: TEST_REDIS_URL, prefix });
    const consumer = new QueueFactory({ redisUrl: TEST_REDIS_URL, prefix });
    try {
      const runs: Run[] = [];
      consumer.create<DeliveryJob>('shared').process(deliveryHandler(runs));
      await producer.create<DeliveryJob>('shared').add('deliver', { url: 'http://x.test', failures: 0 });
      await waitFor(() => runs.length === 1, 5000, 'the job on the other instance');
    } finally {
      await Promise.all([producer.close(), consumer.close()]);
    }
  });

  it('fails fast instead of hanging when Redis is unreachable', async () => {
    const factory = new QueueFactory({
      redisUrl: 'redis://127.0.0.1:6390',
      prefix: uniquePrefix(),
    });
    const started = Date.now();
    await expect(factory.onModuleInit()).rejects.toThrow(/Redis for job queues at redis:\/\/127\.0\.0\.1:6390 is unreachable/);
    expect(Date.now() - started).toBeLessThan(3000);
    await factory.close();
  });

  it('rejects add() instead of hanging while Redis is down, and still closes', async () => {
    const factory = new QueueFactory({
      redisUrl: 'redis://127.0.0.1:6390',
      prefix: uniquePrefix(),
      addTimeoutMs: 300,
    });
    const job = { url: 'http://x.test', failures: 0 };
    const started = Date.now();
    // The first queue's connect attempt fails outright...
    await expect(factory.create<DeliveryJob>('first').add('deliver', job)).rejects.toThrow();
    // ...a queue made while the connection retries would wait for it forever without the bound.
    await expect(factory.create<DeliveryJob>('second').add('deliver', job)).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(2000);
    const closing = Date.now();
    await factory.close();
    expect(Date.now() - closing).toBeLessThan(3000);
  });
});

describe('QueueModule (external mode)', () => {
  it('provides BullMQ queues with a Redis URL and closes them on shutdown', async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const moduleRef = await Test.createTestingModule({
      imports: [QueueModule.forRoot({ redisUrl: TEST_REDIS_URL, prefix })],
    }).compile();
    await moduleRef.init();
    const factory = moduleRef.get(QueueFactory);
    expect(factory.mode).toBe('bullmq');

    const runs: Run[] = [];
    const queue = factory.create<DeliveryJob>('module-queue');
    queue.process(deliveryHandler(runs));
    await queue.add('deliver', { url: 'http://hook.test/m', failures: 0 });
    await waitFor(() => runs.length === 1, 5000, 'the job');
    await moduleRef.close();
    await expect(queue.add('late', { url: 'http://hook.test/late', failures: 0 })).rejects.toThrow(/closed/);
  });
});
