import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { KeyValueStore, type SpendFlushEntry } from '@ailink/gateway-redis';
import { SpendLedger, incrementOf } from './spend-ledger';
import { SpendRepository, type SpendIncrement } from './spend.repository';
import { SessionsRepository } from './sessions/sessions.repository';
import { spendDirtyKey } from './spend-keys';

/** Counters taken per script call. */
const TAKE_COUNT = 500;

/**
 * Writes spend to PostgreSQL in batches, off the request path (vault-and-spend.md §6 "Counters",
 * §8.5): every `AILINK_SPEND_FLUSH_MS` (default 10 s) each instance takes the unflushed amounts of the
 * dirty counters of every organisation (atomically zeroing them, so instances never flush the same
 * amount twice) and adds them to `token_spend` / `project_spend` in one transaction per batch. When
 * the transaction fails the amounts are given back to Redis. Amounts recorded while Redis was down
 * are written here too.
 */
@Injectable()
export class SpendFlusher implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private orgs: { ids: string[]; at: number } = { ids: [], at: 0 };

  constructor(
    private readonly store: KeyValueStore,
    private readonly repository: SpendRepository,
    private readonly ledger: SpendLedger,
    private readonly sessions: SessionsRepository,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flushNow(), this.config.spendFlushMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flushNow();
  }

  /** One flush cycle (batched uncapped spend → counters → PostgreSQL); concurrent calls share it. */
  flushNow(): Promise<void> {
    if (!this.running) this.running = this.cycle().finally(() => (this.running = undefined));
    return this.running;
  }

  private async cycle(): Promise<void> {
    try {
      await this.ledger.applyPending();
      await this.writeDirect();
      for (const orgId of await this.orgIds()) await this.flushOrg(orgId);
      await this.writeSessionTokens();
      await this.writeTeamTokens();
    } catch (error) {
      this.logger.warn({ err: error }, 'Spend: flush to PostgreSQL failed; will retry');
    }
  }

  private async orgIds(): Promise<string[]> {
    // The list of organisations changes rarely: re-read it at most once a minute.
    if (Date.now() - this.orgs.at > 60_000) this.orgs = { ids: await this.repository.orgIds(), at: Date.now() };
    return this.orgs.ids;
  }

  private async flushOrg(orgId: string): Promise<void> {
    const dirtyKey = spendDirtyKey(orgId);
    for (;;) {
      const taken = await this.store.spendTakeUnflushed(dirtyKey, TAKE_COUNT);
      if (taken.length === 0) return;
      const increments = taken.map((t) => incrementOf(t.key, t.spentMicros, t.requests)).filter((i): i is SpendIncrement => i !== null);
      try {
        await this.repository.addTotals(increments);
      } catch (error) {
        await this.giveBack(dirtyKey, taken);
        throw error;
      }
      if (taken.length < TAKE_COUNT) return;
    }
  }

  private async giveBack(dirtyKey: string, taken: SpendFlushEntry[]): Promise<void> {
    try {
      await this.store.spendReturnUnflushed(dirtyKey, taken);
    } catch (error) {
      this.logger.error({ err: error, counters: taken.length }, 'Spend: could not return unflushed amounts; they are lost for reporting');
    }
  }

  private async writeSessionTokens(): Promise<void> {
    const batch = this.ledger.takeSessionTokens();
    try {
      await this.sessions.addTokens(batch);
    } catch (error) {
      this.ledger.returnSessionTokens(batch);
      throw error;
    }
  }

  private async writeTeamTokens(): Promise<void> {
    const batch = this.ledger.takeTeamTokens();
    try {
      await this.repository.addTeamTokens(batch);
    } catch (error) {
      this.ledger.returnTeamTokens(batch);
      throw error;
    }
  }

  private async writeDirect(): Promise<void> {
    const direct = this.ledger.takeDirect();
    if (direct.length === 0) return;
    try {
      await this.repository.addTotals(direct);
    } catch (error) {
      this.ledger.returnDirect(direct);
      throw error;
    }
  }
}
