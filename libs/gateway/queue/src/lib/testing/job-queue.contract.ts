import type { QueueJob } from '../job-queue';
import type { QueueFactory } from '../queue.factory';
import { sleep, waitFor } from './queue-test-support';

export interface DeliveryJob {
  url: string;
  /** Fail this many attempts before succeeding. */
  failures: number;
}

export interface Run {
  id: string;
  name: string;
  data: DeliveryJob;
  attempt: number;
  attempts: number;
  at: number;
}

/**
 * One handler used unchanged by every implementation: records each run and fails the first
 * `data.failures` attempts, as a webhook delivery to a flaky endpoint would.
 */
export function deliveryHandler(runs: Run[]) {
  return async (job: QueueJob<DeliveryJob>): Promise<void> => {
    runs.push({ ...job, at: Date.now() });
    if (job.attempt <= job.data.failures) throw new Error(`attempt ${job.attempt} failed`);
  };
}

/**
 * The behaviour every {@link JobQueue} must have, run against the in-process queue (unit tier) and
 * BullMQ on real Redis (integration tier). `createFactory` returns a factory isolated from other
 * tests (its own prefix); retries use a 100 ms backoff.
 */
export function describeJobQueueContract(name: string, createFactory: () => QueueFactory): void {
  describe(`JobQueue contract: ${name}`, () => {
    let factory: QueueFactory;

    beforeEach(() => {
      factory = createFactory();
    });

    afterEach(async () => {
      await factory.close();
    });

    function queue() {
      return factory.create<DeliveryJob>('deliveries', {
        backoffMs: 100,
        defaultAttempts: 3,
      });
    }

    it('runs a job with its name and a copy of its data', async () => {
      const runs: Run[] = [];
      const q = queue();
      q.process(deliveryHandler(runs));
      const data = { url: 'http://hook.test/a', failures: 0 };
      await q.add('deliver', data);
      await waitFor(() => runs.length === 1, 5000, 'the job');
      expect(runs[0]).toMatchObject({
        name: 'deliver',
        data,
        attempt: 1,
        attempts: 3,
      });
      expect(runs[0].data).not.toBe(data);
      expect(runs[0].id).not.toBe('');
    });

    it('retries a failing first attempt after the backoff', async () => {
      const runs: Run[] = [];
      const q = queue();
      q.process(deliveryHandler(runs));
      await q.add('deliver', { url: 'http://hook.test/flaky', failures: 1 });
      await waitFor(() => runs.length === 2, 5000, 'the retry');
      expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
      expect(runs[1].at - runs[0].at).toBeGreaterThanOrEqual(90);
      await sleep(400);
      expect(runs).toHaveLength(2);
    });

    it('backs off exponentially and gives up after the allowed attempts', async () => {
      const runs: Run[] = [];
      const q = queue();
      q.process(deliveryHandler(runs));
      await q.add('deliver', { url: 'http://hook.test/down', failures: 99 }, { attempts: 3 });
      await waitFor(() => runs.length === 3, 5000, 'three attempts');
      expect(runs.map((r) => [r.attempt, r.attempts])).toEqual([
        [1, 3],
        [2, 3],
        [3, 3],
      ]);
      expect(runs[2].at - runs[1].at).toBeGreaterThanOrEqual(190);
      await sleep(800);
      expect(runs).toHaveLength(3);
    });

    it('honours a delay', async () => {
      const runs: Run[] = [];
      const q = queue();
      q.process(deliveryHandler(runs));
      const added = Date.now();
      await q.add('deliver', { url: 'http://hook.test/later', failures: 0 }, { delayMs: 300 });
      await waitFor(() => runs.length === 1, 5000, 'the delayed job');
      expect(runs[0].at - added).toBeGreaterThanOrEqual(290);
    });

    it('keeps jobs added before a handler exists', async () => {
      const runs: Run[] = [];
      const q = queue();
      await q.add('deliver', { url: 'http://hook.test/1', failures: 0 });
      await q.add('deliver', { url: 'http://hook.test/2', failures: 0 });
      await sleep(100);
      expect(runs).toHaveLength(0);
      q.process(deliveryHandler(runs));
      await waitFor(() => runs.length === 2, 5000, 'both jobs');
      expect(runs.map((r) => r.data.url).sort()).toEqual(['http://hook.test/1', 'http://hook.test/2']);
    });

    it('deduplicates by jobId while the job is pending, and accepts the id again after', async () => {
      const runs: Run[] = [];
      const q = queue();
      await q.add('deliver', { url: 'http://hook.test/first', failures: 0 }, { jobId: 'delivery-1' });
      await q.add('deliver', { url: 'http://hook.test/dup', failures: 0 }, { jobId: 'delivery-1' });
      q.process(deliveryHandler(runs));
      await waitFor(() => runs.length === 1, 5000, 'the job');
      await sleep(200);
      expect(runs.map((r) => [r.id, r.data.url])).toEqual([['delivery-1', 'http://hook.test/first']]);

      await q.add('deliver', { url: 'http://hook.test/again', failures: 0 }, { jobId: 'delivery-1' });
      await waitFor(() => runs.length === 2, 5000, 'the re-added job');
      expect(runs[1].data.url).toBe('http://hook.test/again');
    });

    it('runs at most `concurrency` jobs at once', async () => {
      const q = queue();
      let active = 0;
      let peak = 0;
      let done = 0;
      q.process(async () => {
        active += 1;
        peak = Math.max(peak, active);
        await sleep(100);
        active -= 1;
        done += 1;
      }, 2);
      for (let i = 0; i < 6; i += 1) {
        await q.add('work', { url: `http://hook.test/${i}`, failures: 0 });
      }
      await waitFor(() => done === 6, 5000, 'all jobs');
      expect(peak).toBe(2);
    });

    it('waits for running jobs on close', async () => {
      const q = queue();
      let started = false;
      let finished = false;
      q.process(async () => {
        started = true;
        await sleep(300);
        finished = true;
      });
      await q.add('slow', { url: 'http://hook.test/slow', failures: 0 });
      await waitFor(() => started, 5000, 'the job to start');
      await q.close();
      expect(finished).toBe(true);
      await expect(q.add('late', { url: 'http://hook.test/late', failures: 0 })).rejects.toThrow(/closed/);
    });

    it('refuses invalid options the same way', async () => {
      const q = queue();
      const data = { url: 'http://hook.test/x', failures: 0 };
      await expect(q.add('x', data, { jobId: '42' })).rejects.toThrow(/jobId/);
      await expect(q.add('x', data, { jobId: 'a:b' })).rejects.toThrow(/jobId/);
      await expect(q.add('x', data, { attempts: 0 })).rejects.toThrow(RangeError);
      await expect(q.add('x', data, { delayMs: -1 })).rejects.toThrow(RangeError);
      q.process(async () => undefined);
      expect(() => q.process(async () => undefined)).toThrow(/already has a handler/);
      expect(() => factory.create('bad:name')).toThrow(/queue name/);
    });

    it('hands out one queue per name', () => {
      expect(factory.create('deliveries')).toBe(factory.create('deliveries'));
      expect(factory.create('deliveries')).not.toBe(factory.create('other'));
    });
  });
}
