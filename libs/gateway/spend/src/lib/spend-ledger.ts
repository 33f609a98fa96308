import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import {
  KeyValueStore,
  type SpendCounterDelta,
  type SpendCounterState,
  type SpendReserveResult,
  type SpendSettleResult,
} from '@ailink/gateway-redis';
import { SpendRepository, type SpendIncrement } from './spend.repository';
import { parseCounterKey, spendDirtyKey, spendSettledKey, type CounterRef } from './spend-keys';
import { SpendEvents, type SpendWatch } from './spend-events';

/** A cap checked by a reservation. */
export interface CapCheck {
  counter: CounterRef;
  limitMicros: number;
}

/** Batched uncapped spend is applied to the counters this often. */
export const APPLY_INTERVAL_MS = 500;
/** Deltas per settle script call when applying a batch. */
const APPLY_CHUNK = 500;
/** NEED_LOAD rounds before giving up (a counter evicted again right after its load). */
const MAX_LOAD_ROUNDS = 3;

interface PendingDelta {
  counter: CounterRef;
  dirtyKey: string;
  micros: number;
  requests: number;
  watch?: SpendWatch;
}

/**
 * The spend counters of vault-and-spend.md §6/§8 on the {@link KeyValueStore}: reservations and
 * settlements (one atomic script call each), loading PostgreSQL bases into counters that have none
 * (`need_load`), and the batched path of tokens without caps, whose spend is added in memory and
 * applied to the counters every {@link APPLY_INTERVAL_MS} — never one store call per request. When the
 * store cannot be reached, amounts go to PostgreSQL directly (through the flusher's batch).
 */
@Injectable()
export class SpendLedger implements OnModuleInit, OnModuleDestroy {
  private pending = new Map<string, PendingDelta>();
  private direct: SpendIncrement[] = [];
  /** Token counts of sessions waiting for the flush (`{project_id}:{session_id}` → tokens). */
  private sessionTokens = new Map<string, number>();
  /** Token counts of teams per UTC day waiting for the flush (`{team_id}|{day}` → tokens). */
  private teamTokens = new Map<string, number>();
  /** Loads in progress, by counter key. */
  private readonly loading = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private applying?: Promise<void>;

  constructor(
    private readonly store: KeyValueStore,
    private readonly repository: SpendRepository,
    private readonly events: SpendEvents,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.applyPending(), APPLY_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.applyPending();
  }

  /** Reserves `amountMicros` on every cap, all or nothing (loading missing bases first). Rejects when the store is down. */
  async reserve(caps: readonly CapCheck[], owner: string, amountMicros: number, ttlMs: number): Promise<SpendReserveResult> {
    const request = {
      caps: caps.map((c) => ({ key: c.counter.key, reservationKey: c.counter.reservationKey, limitMicros: c.limitMicros })),
      owner,
      amountMicros,
      ttlMs,
    };
    for (let round = 0; ; round++) {
      const result = await this.store.spendReserve(request);
      if (result.status !== 'need_load' || round >= MAX_LOAD_ROUNDS) return result;
      await this.load(result.indexes.map((i) => caps[i].counter));
    }
  }

  /** Extends a live reservation (long streams); errors are logged, not thrown. */
  async refresh(counters: readonly CounterRef[], member: string, ttlMs: number): Promise<void> {
    try {
      await this.store.spendRefresh(
        counters.map((c) => c.reservationKey),
        member,
        ttlMs,
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'Spend: could not refresh a reservation');
    }
  }

  /**
   * Settles one reserved request exactly once (guard `ailink:spendsettled:{request_id}:{iteration}`):
   * releases its reservation and adds the cost to every counter. Never throws: when the store fails,
   * the amounts go to PostgreSQL directly.
   */
  async settle(
    orgId: string,
    requestId: string,
    counters: readonly CounterRef[],
    reservation: { owner: string; amountMicros: number },
    costMicros: number,
    options: { iteration?: number; watches?: readonly SpendWatch[]; tokenId?: string } = {},
  ): Promise<SpendSettleResult | null> {
    const iteration = options.iteration ?? 0;
    const deltas = this.deltas(orgId, counters, costMicros, 1);
    try {
      for (let round = 0; ; round++) {
        const result = await this.store.spendSettle({
          guardKey: spendSettledKey(requestId, iteration),
          owner: reservation.owner,
          reservedMicros: reservation.amountMicros,
          deltas,
        });
        if (result.status === 'settled') {
          for (const watch of options.watches ?? []) {
            const index = counters.findIndex((c) => c.key === watch.counter.key);
            if (index >= 0) this.events.settled(watch, result.spentMicros[index], costMicros, options.tokenId ?? null);
          }
        }
        if (result.status !== 'need_load' || round >= MAX_LOAD_ROUNDS) return result;
        await this.load(result.indexes.map((i) => counters[i]));
      }
    } catch (error) {
      this.logger.warn({ err: error, request_id: requestId }, 'Spend: settlement failed; recording the cost in PostgreSQL directly');
      this.recordDirect(counters, costMicros, 1);
      return null;
    }
  }

  /** Adds the spend of a request without caps to the in-memory batch (no I/O). */
  accumulate(orgId: string, counters: readonly CounterRef[], costMicros: number, watches: readonly SpendWatch[] = []): void {
    const dirtyKey = spendDirtyKey(orgId);
    for (const counter of counters) {
      const current = this.pending.get(counter.key);
      const watch = watches.find((w) => w.counter.key === counter.key);
      if (current) {
        current.micros += costMicros;
        current.requests += 1;
        if (watch) current.watch = watch;
        // A later request may carry a later expiry (same key, same period): keep the latest.
        if ((counter.expireAtSecs ?? 0) > (current.counter.expireAtSecs ?? 0)) current.counter = counter;
      } else {
        this.pending.set(counter.key, { counter, dirtyKey, micros: costMicros, requests: 1, ...(watch ? { watch } : {}) });
      }
    }
  }

  /** Applies the batched uncapped spend to the counters now (one script call per chunk). */
  applyPending(): Promise<void> {
    if (this.applying) return this.applying.then(() => this.applyPending());
    if (this.pending.size === 0) return Promise.resolve();
    const batch = Array.from(this.pending.values());
    this.pending = new Map();
    this.applying = this.applyBatch(batch).finally(() => (this.applying = undefined));
    return this.applying;
  }

  /** Adds a request's tokens to its session's total (written by the flush; no I/O here). */
  addSessionTokens(projectId: string, sessionId: string, tokens: number): void {
    if (tokens <= 0) return;
    const key = `${projectId}:${sessionId}`;
    this.sessionTokens.set(key, (this.sessionTokens.get(key) ?? 0) + tokens);
  }

  /** Tokens of a session not flushed yet by this instance. */
  pendingSessionTokens(projectId: string, sessionId: string): number {
    return this.sessionTokens.get(`${projectId}:${sessionId}`) ?? 0;
  }

  takeSessionTokens(): { projectId: string; sessionId: string; tokens: number }[] {
    const out = Array.from(this.sessionTokens, ([key, tokens]) => {
      const colon = key.indexOf(':');
      return { projectId: key.slice(0, colon), sessionId: key.slice(colon + 1), tokens };
    });
    this.sessionTokens = new Map();
    return out;
  }

  returnSessionTokens(batch: readonly { projectId: string; sessionId: string; tokens: number }[]): void {
    for (const b of batch) this.addSessionTokens(b.projectId, b.sessionId, b.tokens);
  }

  /** Adds a request's tokens to its team's daily total (written by the flush; no I/O here). */
  addTeamTokens(teamId: string, day: string, tokens: number): void {
    if (tokens <= 0) return;
    const key = `${teamId}|${day}`;
    this.teamTokens.set(key, (this.teamTokens.get(key) ?? 0) + tokens);
  }

  takeTeamTokens(): { teamId: string; day: string; tokens: number }[] {
    const out = Array.from(this.teamTokens, ([key, tokens]) => {
      const [teamId, day] = key.split('|');
      return { teamId, day, tokens };
    });
    this.teamTokens = new Map();
    return out;
  }

  returnTeamTokens(batch: readonly { teamId: string; day: string; tokens: number }[]): void {
    for (const b of batch) this.addTeamTokens(b.teamId, b.day, b.tokens);
  }

  /** Takes the amounts waiting to be written to PostgreSQL directly (the store was down). */
  takeDirect(): SpendIncrement[] {
    const out = this.direct;
    this.direct = [];
    return out;
  }

  /** Puts amounts back after a failed direct write. */
  returnDirect(increments: readonly SpendIncrement[]): void {
    this.direct.push(...increments);
  }

  /** Reads counters, loading PostgreSQL bases for those that have none. */
  async read(counters: readonly CounterRef[]): Promise<SpendCounterState[]> {
    let states = await this.store.spendRead(counters.map((c) => c.key));
    const missing = counters.filter((_, i) => !states[i].loaded);
    if (missing.length > 0) {
      await this.load(missing);
      states = await this.store.spendRead(counters.map((c) => c.key));
    }
    return states;
  }

  /**
   * Loads the PostgreSQL totals of counters into the store (only where not loaded yet). Concurrent
   * loads of one counter share one PostgreSQL read (a burst on a cold counter is one query, not one
   * per request).
   */
  async load(counters: readonly CounterRef[]): Promise<void> {
    const waits: Promise<void>[] = [];
    const fresh: CounterRef[] = [];
    for (const counter of counters) {
      const pending = this.loading.get(counter.key);
      if (pending) waits.push(pending);
      else if (!fresh.some((c) => c.key === counter.key)) fresh.push(counter);
    }
    if (fresh.length > 0) {
      const loading = this.loadFromDatabase(fresh);
      for (const counter of fresh) this.loading.set(counter.key, loading);
      void loading
        .finally(() => {
          for (const counter of fresh) if (this.loading.get(counter.key) === loading) this.loading.delete(counter.key);
        })
        .catch(() => undefined);
      waits.push(loading);
    }
    await Promise.all(waits);
  }

  private async loadFromDatabase(counters: readonly CounterRef[]): Promise<void> {
    const bases = await this.repository.bases(counters.map((c) => ({ scope: c.scope, id: c.id, periodKey: c.periodKey })));
    await this.store.spendLoad(
      counters.map((c, i) => ({ key: c.key, spentMicros: bases[i].micros, requests: bases[i].requests, expireAtSecs: c.expireAtSecs })),
    );
  }

  private deltas(orgId: string, counters: readonly CounterRef[], costMicros: number, requests: number): SpendCounterDelta[] {
    const dirtyKey = spendDirtyKey(orgId);
    return counters.map((c) => ({
      key: c.key,
      reservationKey: c.reservationKey,
      dirtyKey,
      costMicros,
      requests,
      expireAtSecs: c.expireAtSecs,
    }));
  }

  private recordDirect(counters: readonly CounterRef[], micros: number, requests: number): void {
    for (const c of counters) this.direct.push({ scope: c.scope, id: c.id, periodKey: c.periodKey, micros, requests });
  }

  private async applyBatch(batch: PendingDelta[]): Promise<void> {
    for (let i = 0; i < batch.length; i += APPLY_CHUNK) {
      const chunk = batch.slice(i, i + APPLY_CHUNK);
      const deltas: SpendCounterDelta[] = chunk.map((p) => ({
        key: p.counter.key,
        reservationKey: p.counter.reservationKey,
        dirtyKey: p.dirtyKey,
        costMicros: p.micros,
        requests: p.requests,
        expireAtSecs: p.counter.expireAtSecs,
      }));
      try {
        for (let round = 0; ; round++) {
          const result = await this.store.spendSettle({ deltas });
          if (result.status === 'settled') {
            chunk.forEach((p, idx) => {
              if (p.watch)
                this.events.settled(p.watch, result.spentMicros[idx], p.micros, p.counter.scope === 'token' ? p.counter.id : null);
            });
          }
          if (result.status !== 'need_load') break;
          if (round >= MAX_LOAD_ROUNDS) throw new Error('spend counters keep losing their base');
          await this.load(result.indexes.map((idx) => chunk[idx].counter));
        }
      } catch (error) {
        this.logger.warn(
          { err: error, counters: chunk.length },
          'Spend: could not apply batched spend; recording it in PostgreSQL directly',
        );
        for (const p of chunk)
          this.direct.push({
            scope: p.counter.scope,
            id: p.counter.id,
            periodKey: p.counter.periodKey,
            micros: p.micros,
            requests: p.requests,
          });
      }
    }
  }
}

/** For the flush: a taken counter name back to its PostgreSQL identity. */
export function incrementOf(name: string, micros: number, requests: number): SpendIncrement | null {
  const parsed = parseCounterKey(name);
  return parsed ? { scope: parsed.scope, id: parsed.id, periodKey: parsed.periodKey, micros, requests } : null;
}
