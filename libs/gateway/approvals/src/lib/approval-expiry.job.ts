import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import { JobQueue, QueueFactory } from '@ailink/gateway-queue';
import { KeyValueStore } from '@ailink/gateway-redis';
import { ApprovalSignals } from './approval-signals';
import { ApprovalsRepository } from './approvals.repository';

/** Queue of the approval expiry job. */
export const APPROVAL_EXPIRY_QUEUE = 'approval-expiry';
/** Singleton lock: one run at a time across instances (data-model.md `ailink:lock:{name}`). */
export const APPROVAL_EXPIRY_LOCK_KEY = 'ailink:lock:approval-expiry';
const INTERVAL_MS = 30_000;
const BATCH = 500;
const LOCK_TTL_SECS = 60;

type ExpiryJobData = Record<string, never>;

/**
 * The approval expiry job (data-model.md "Background jobs": every 30 s, singleton): pending
 * approvals past `expires_at` (and approved ones whose 10-minute window passed unused) become
 * `expired`, and their waiters are signalled. Every instance enqueues one job per 30-second slot on
 * the `approval-expiry` queue (BullMQ in external mode, in-process in embedded mode) under the same
 * job id, so the queue runs a slot's job once; the Redis lock `ailink:lock:approval-expiry` keeps a
 * late duplicate from running concurrently. Waiting requests do not depend on it: each expires its
 * own approval at `expires_at`.
 */
@Injectable()
export class ApprovalExpiryJob implements OnApplicationBootstrap, OnModuleDestroy {
  intervalMs = INTERVAL_MS;
  private readonly instance = randomUUID();
  private queue?: JobQueue<ExpiryJobData>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly queues: QueueFactory,
    private readonly repository: ApprovalsRepository,
    private readonly signals: ApprovalSignals,
    private readonly store: KeyValueStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const queue = this.queues.create<ExpiryJobData>(APPROVAL_EXPIRY_QUEUE, { defaultAttempts: 1 });
    this.queue = queue;
    queue.process(async () => {
      await this.runOnce();
    });
    this.timer = setInterval(() => void this.enqueue(), this.intervalMs);
    this.timer.unref();
    void this.enqueue();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Adds this slot's job (a no-op when another instance already added it). */
  async enqueue(now = Date.now()): Promise<void> {
    try {
      await this.queue?.add('expire', {}, { jobId: `approval-expiry-${Math.floor(now / this.intervalMs)}` });
    } catch (error) {
      this.logger.warn({ err: error }, 'Approval expiry: could not enqueue the job');
    }
  }

  /**
   * One run under the singleton lock; returns how many approvals it expired (null when another
   * instance holds the lock). Without Redis it runs anyway: the statement skips locked rows.
   */
  async runOnce(): Promise<number | null> {
    let locked = true;
    let lockable = true;
    try {
      locked = await this.store.setIfAbsent(APPROVAL_EXPIRY_LOCK_KEY, this.instance, LOCK_TTL_SECS);
    } catch (error) {
      lockable = false;
      this.logger.warn({ err: error }, 'Approval expiry: Redis unavailable for the lock; running without it');
    }
    if (!locked) return null;
    let expired = 0;
    try {
      for (;;) {
        const batch = await this.repository.expireDue(BATCH);
        expired += batch.length;
        await Promise.all(batch.map((row) => this.signals.signal(row.id, 'expired')));
        if (batch.length < BATCH) break;
      }
      if (expired > 0) this.logger.info({ expired }, 'Approval expiry: approvals expired');
    } catch (error) {
      this.logger.error({ err: error }, 'Approval expiry failed; retried at the next run');
    } finally {
      if (lockable) await this.releaseLock();
    }
    return expired;
  }

  private async releaseLock(): Promise<void> {
    try {
      if ((await this.store.get(APPROVAL_EXPIRY_LOCK_KEY)) === this.instance) await this.store.del(APPROVAL_EXPIRY_LOCK_KEY);
    } catch {
      // The lock expires on its own.
    }
  }
}
