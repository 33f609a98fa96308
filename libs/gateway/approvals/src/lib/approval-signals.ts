import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ApprovalStatus } from '@ailink/shared-contracts';
import { LOGGER } from '@ailink/gateway-core';
import { KeyValueStore, type Unsubscribe } from '@ailink/gateway-redis';
import { ApprovalsRepository, type ApprovalRow } from './approvals.repository';

/** The pub/sub channel a decision (or expiry) of approval `id` is signalled on (data-model.md). */
export function approvalChannel(id: string): string {
  return `ailink:hitl:${id}`;
}

/**
 * How a wait ended: a final status; `aborted` when the client went away; `shutdown` when this
 * instance is stopping (in both cases the approval stays pending for a later identical request).
 */
export type WaitOutcome = { status: Exclude<ApprovalStatus, 'pending'>; row: ApprovalRow } | { status: 'aborted' | 'shutdown' };

export interface WaitTimings {
  /** Re-read of the row while subscribed (safety net for a lost message). Default 5 s. */
  safetyNetMs: number;
  /** Re-read interval when Redis cannot be subscribed to. Default 500 ms. */
  pollMs: number;
}

interface Waiter {
  settle(row: ApprovalRow): void;
  stop(): void;
}

interface Channel {
  waiters: Set<Waiter>;
  subscription?: Promise<Unsubscribe>;
}

/**
 * Delivers decisions to requests held in `wait` mode, on every instance: each waiting instance
 * subscribes to `ailink:hitl:{id}` once per approval (however many requests wait for it), re-reads
 * the row when a signal arrives (the database is authoritative) and every 5 s as a safety net, and
 * polls every 500 ms when Redis cannot be subscribed to. At `expires_at` (database clock) a waiter
 * expires the approval itself and signals the others.
 */
@Injectable()
export class ApprovalSignals implements OnModuleDestroy {
  readonly timings: WaitTimings = { safetyNetMs: 5_000, pollMs: 500 };
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  constructor(
    private readonly store: KeyValueStore,
    private readonly repository: ApprovalsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Requests currently held on this instance. */
  get waiting(): number {
    let n = 0;
    for (const channel of this.channels.values()) n += channel.waiters.size;
    return n;
  }

  /** Tells every waiter (on every instance) that approval `id` changed; never throws. */
  async signal(id: string, status: ApprovalStatus): Promise<void> {
    try {
      await this.store.publish(approvalChannel(id), JSON.stringify({ id, status }));
    } catch (error) {
      // Waiters fall back to re-reading the row; the decision itself is stored.
      this.logger.warn({ err: error, approval_id: id }, 'Could not signal an approval decision over Redis');
    }
  }

  /**
   * Holds until approval `row` (pending) is decided or expires, or `abort` fires. Resolves with the
   * final row as the database holds it.
   */
  wait(row: ApprovalRow, abort?: AbortSignal): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve({ status: 'shutdown' });
    if (abort?.aborted) return Promise.resolve({ status: 'aborted' });
    const id = row.id;
    return new Promise<WaitOutcome>((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      let expiry: NodeJS.Timeout | undefined;
      let reading = false;
      const channel = this.join(id);
      const finish = (outcome: WaitOutcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(expiry);
        abort?.removeEventListener('abort', onAbort);
        this.leave(id, waiter);
        resolve(outcome);
      };
      const waiter: Waiter = {
        settle: (current) => {
          if (current.status !== 'pending') finish({ status: current.status, row: current });
        },
        stop: () => finish({ status: 'shutdown' }),
      };
      const onAbort = (): void => finish({ status: 'aborted' });
      abort?.addEventListener('abort', onAbort, { once: true });
      channel.waiters.add(waiter);

      const reread = async (): Promise<void> => {
        if (done || reading) return;
        reading = true;
        try {
          const current = await this.repository.byId(id);
          if (current) waiter.settle(current);
        } catch (error) {
          this.logger.warn({ err: error, approval_id: id }, 'Approval wait: could not re-read the approval');
        } finally {
          reading = false;
        }
      };
      const schedule = (): void => {
        if (done) return;
        const every = channel.subscription ? this.timings.safetyNetMs : this.timings.pollMs;
        timer = setTimeout(() => void reread().then(schedule), every);
        timer.unref?.();
      };
      const expire = async (): Promise<void> => {
        if (done) return;
        try {
          const expired = await this.repository.expireIfDue(id);
          if (expired) {
            void this.signal(id, 'expired');
            return finish({ status: 'expired', row: expired });
          }
          const current = await this.repository.byId(id);
          if (current) waiter.settle(current);
          if (!done) {
            // Not due yet by the database's clock: look again shortly.
            expiry = setTimeout(() => void expire(), 250);
            expiry.unref?.();
          }
        } catch (error) {
          this.logger.warn({ err: error, approval_id: id }, 'Approval wait: could not expire the approval');
          expiry = setTimeout(() => void expire(), this.timings.pollMs);
          expiry.unref?.();
        }
      };
      const remaining = Math.max(0, row.expires_at.getTime() - row.db_now.getTime());
      expiry = setTimeout(() => void expire(), remaining);
      expiry.unref?.();
      // A decision made before the subscription was active is caught by one read once it is.
      const subscribed = channel.subscription ?? Promise.reject(new Error('not subscribed'));
      subscribed.then(
        () => void reread().then(schedule),
        () => void reread().then(schedule),
      );
    });
  }

  /** Ends every wait (as `shutdown`) and releases every subscription. */
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const channels = Array.from(this.channels.values());
    for (const channel of channels) for (const waiter of Array.from(channel.waiters)) waiter.stop();
    const subscriptions = channels.map((c) => c.subscription);
    this.channels.clear();
    await Promise.all(subscriptions.map((s) => s?.then((unsubscribe) => unsubscribe()).catch(() => undefined)));
  }

  private join(id: string): Channel {
    let channel = this.channels.get(id);
    if (!channel) {
      const created: Channel = { waiters: new Set() };
      channel = created;
      this.channels.set(id, created);
      const attempt = this.store.subscribe(approvalChannel(id), () => this.onSignal(id));
      created.subscription = attempt;
      attempt.catch((error: unknown) => {
        if (created.subscription === attempt) created.subscription = undefined;
        this.logger.warn({ err: error, approval_id: id }, 'Approval wait: Redis unavailable; polling the database');
      });
    }
    return channel;
  }

  private leave(id: string, waiter: Waiter): void {
    const channel = this.channels.get(id);
    if (!channel) return;
    channel.waiters.delete(waiter);
    if (channel.waiters.size > 0) return;
    this.channels.delete(id);
    void channel.subscription?.then((unsubscribe) => unsubscribe()).catch(() => undefined);
  }

  /** A signal for `id`: one read of the row for all of this instance's waiters. */
  private onSignal(id: string): void {
    const channel = this.channels.get(id);
    if (!channel || channel.waiters.size === 0) return;
    this.repository.byId(id).then(
      (row) => {
        if (!row) return;
        for (const waiter of Array.from(channel.waiters)) waiter.settle(row);
      },
      (error: unknown) => this.logger.warn({ err: error, approval_id: id }, 'Approval wait: could not read a signalled approval'),
    );
  }
}
