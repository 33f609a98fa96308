import { InProcessJobQueue } from './in-process-job-queue';
import { QueueFactory } from './queue.factory';
import { describeJobQueueContract } from './testing/job-queue.contract';
import { sleep, waitFor } from './testing/queue-test-support';

describeJobQueueContract('in-process', () => new QueueFactory({}));

describe('InProcessJobQueue', () => {
  let queue: InProcessJobQueue<{ n: number }>;

  beforeEach(() => {
    queue = new InProcessJobQueue('jobs', {
      backoffMs: 10,
      defaultAttempts: 2,
    });
  });

  afterEach(() => queue.close());

  it('runs handlers asynchronously, never inside add()', async () => {
    const seen: number[] = [];
    queue.process(async (job) => {
      seen.push(job.data.n);
    });
    const adding = queue.add('j', { n: 1 });
    expect(seen).toEqual([]);
    await adding;
    expect(seen).toEqual([]);
    await waitFor(() => seen.length === 1, 1000, 'the job');
  });

  it('gives every attempt a fresh copy of the data', async () => {
    const seen: number[] = [];
    queue.process(async (job) => {
      seen.push(job.data.n);
      job.data.n = 999;
      throw new Error('fail');
    });
    await queue.add('j', { n: 1 });
    await waitFor(() => seen.length === 2, 1000, 'two attempts');
    expect(seen).toEqual([1, 1]);
  });

  it('processes jobs in the order they were added', async () => {
    const seen: number[] = [];
    queue.process(async (job) => {
      seen.push(job.data.n);
    });
    for (let n = 0; n < 20; n += 1) await queue.add('j', { n });
    await waitFor(() => seen.length === 20, 1000, 'all jobs');
    expect(seen).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it('drops pending and delayed jobs on close, without running them', async () => {
    const handler = jest.fn(async () => undefined);
    await queue.add('j', { n: 1 }, { delayMs: 50 });
    await queue.add('j', { n: 2 });
    await queue.close();
    expect(() => queue.process(handler)).toThrow(/closed/);
    await sleep(100);
    expect(handler).not.toHaveBeenCalled();
  });

  it('does not retry a job that fails while the queue is closing', async () => {
    let attempts = 0;
    queue.process(async () => {
      attempts += 1;
      await sleep(50);
      throw new Error('fail');
    });
    await queue.add('j', { n: 1 });
    await waitFor(() => attempts === 1, 1000, 'the first attempt');
    await queue.close();
    await sleep(50);
    expect(attempts).toBe(1);
  });

  it('refuses invalid settings and concurrency', () => {
    expect(() => new InProcessJobQueue('q', { defaultAttempts: 0 })).toThrow(RangeError);
    expect(() => new InProcessJobQueue('q', { backoffMs: -1 })).toThrow(RangeError);
    expect(() => queue.process(async () => undefined, 0)).toThrow(RangeError);
  });
});
