import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';

/** How often buffered last-use times are written. */
export const API_KEY_USAGE_FLUSH_MS = 5000;

/**
 * `last_used_at` without a database write per request (identity.md §1, row 4): each authenticated
 * use only records the time in memory; a timer writes every key's latest time in one statement. A
 * failed flush keeps the times for the next one; the buffer is flushed once more at shutdown.
 */
@Injectable()
export class ApiKeyUsage implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ApiKeyUsage.name);
  private pending = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<number> | null = null;

  constructor(private readonly repository: ApiKeysRepository) {
    this.timer = setInterval(() => void this.flush(), API_KEY_USAGE_FLUSH_MS);
    this.timer.unref();
  }

  /** Records a use of key `id` (no I/O). */
  touch(id: string, atMs: number = Date.now()): void {
    const previous = this.pending.get(id);
    if (previous === undefined || previous < atMs) this.pending.set(id, atMs);
  }

  /** The buffered (not yet written) last use of a key, if any. */
  pendingUse(id: string): Date | null {
    const at = this.pending.get(id);
    return at === undefined ? null : new Date(at);
  }

  /** Writes the buffered times; resolves to how many rows changed. Concurrent calls share one flush. */
  flush(): Promise<number> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return Promise.resolve(0);
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.repository
      .recordLastUsed(Array.from(batch, ([id, at]) => [id, new Date(at)] as const))
      .catch((error: unknown) => {
        for (const [id, at] of batch) this.touch(id, at);
        this.logger.warn(`Could not record API key use (${batch.size} keys, retried later): ${(error as Error).message}`);
        return 0;
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.flushing) await this.flushing;
    await this.flush();
  }
}
