import { Logger } from '@nestjs/common';
import {
  KeyValueStore,
  type MessageHandler,
  type SlidingWindowAllResult,
  type SlidingWindowLimit,
  type SlidingWindowOptions,
  type SlidingWindowResult,
  type Unsubscribe,
} from './key-value-store';
import { memberSuffix, toSlidingWindowResult, type SlidingWindowRaw } from './sliding-window';
import { MemorySpendBook } from './memory-spend-book';
import { MemoryBreakerBook } from './memory-breaker-book';
import type { BreakerClaimResult, BreakerRecordRequest, BreakerRecordResult, SharedBreakerStatus } from './breaker-state';
import type {
  SpendCounterState,
  SpendFlushEntry,
  SpendLoadEntry,
  SpendReserveRequest,
  SpendReserveResult,
  SpendSettleRequest,
  SpendSettleResult,
} from './spend-counters';
import { assertCount, assertInteger, assertMaxLength, assertNowMs, assertTtlSecs, assertWindow } from './store-arguments';

interface StringEntry {
  type: 'string';
  value: string;
  expiresAt: number | null;
}

/** A sliding-window log: admitted timestamps, ascending, and each entry's member (same order). */
interface LogEntry {
  type: 'log';
  scores: number[];
  members: string[];
  expiresAt: number | null;
}

/** A list used as a FIFO queue: oldest value first. */
interface ListEntry {
  type: 'list';
  values: string[];
  expiresAt: number | null;
}

type Entry = StringEntry | LogEntry | ListEntry;

const SWEEP_INTERVAL_MS = 30_000;

/**
 * The embedded-mode store: the same contract as {@link RedisKeyValueStore}, held in this process
 * (single instance only). Expired keys are dropped when touched and by a periodic sweep; pub/sub
 * delivers asynchronously, like Redis, to every subscriber in this process.
 */
export class MemoryKeyValueStore extends KeyValueStore {
  readonly mode = 'memory' as const;

  private readonly logger = new Logger(MemoryKeyValueStore.name);
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new Map<string, Set<MessageHandler>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly spend: MemorySpendBook;
  private readonly breakers: MemoryBreakerBook;
  private closed = false;

  /** @param clock current time in ms; injectable for tests. */
  constructor(private readonly clock: () => number = Date.now) {
    super();
    this.spend = new MemorySpendBook(clock);
    this.breakers = new MemoryBreakerBook(clock);
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async get(key: string): Promise<string | null> {
    return this.readString(key)?.value ?? null;
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.readString(key)?.value ?? null);
  }

  async set(key: string, value: string, ttlSecs?: number): Promise<void> {
    if (ttlSecs !== undefined) assertTtlSecs(ttlSecs);
    this.writeString(key, value, ttlSecs);
  }

  async setIfAbsent(key: string, value: string, ttlSecs: number): Promise<boolean> {
    assertTtlSecs(ttlSecs);
    if (this.live(key)) return false;
    this.writeString(key, value, ttlSecs);
    return true;
  }

  async del(...keys: string[]): Promise<number> {
    let deleted = 0;
    for (const key of keys) {
      if (this.live(key)) {
        this.entries.delete(key);
        deleted += 1;
      }
    }
    return deleted;
  }

  async incr(key: string, by = 1, ttlSecs?: number): Promise<number> {
    assertInteger(by, 'by');
    if (ttlSecs !== undefined) assertTtlSecs(ttlSecs);
    this.checkIncrement(key, by);
    return this.incrNow(key, by, ttlSecs);
  }

  /** Throws what INCRBY would (wrong type, not an integer, overflow) without changing anything. */
  private checkIncrement(key: string, by: number): void {
    const current = this.readString(key);
    if (!current) return;
    if (!/^-?\d+$/.test(current.value) || !Number.isSafeInteger(Number(current.value))) {
      throw new Error('ERR value is not an integer or out of range');
    }
    if (!Number.isSafeInteger(Number(current.value) + by)) throw new Error('ERR increment or decrement would overflow');
  }

  /** INCRBY with a TTL set when the key has none (checked by {@link checkIncrement} first). */
  private incrNow(key: string, by: number, ttlSecs: number | undefined): number {
    const current = this.readString(key);
    const next = (current ? Number(current.value) : 0) + by;
    let expiresAt = current?.expiresAt ?? null;
    if (expiresAt === null && ttlSecs !== undefined) expiresAt = this.clock() + ttlSecs * 1000;
    this.entries.set(key, { type: 'string', value: String(next), expiresAt });
    return next;
  }

  async expire(key: string, ttlSecs: number): Promise<boolean> {
    assertTtlSecs(ttlSecs);
    const entry = this.live(key);
    if (!entry) return false;
    entry.expiresAt = this.clock() + ttlSecs * 1000;
    return true;
  }

  async pttl(key: string): Promise<number> {
    const entry = this.live(key);
    if (!entry) return -2;
    if (entry.expiresAt === null) return -1;
    return Math.max(0, entry.expiresAt - this.clock());
  }

  async publish(channel: string, message: string): Promise<number> {
    const handlers = this.channels.get(channel);
    if (!handlers || handlers.size === 0) return 0;
    // Snapshot now (like Redis: subscribers at publish time), deliver asynchronously.
    const targets = [...handlers];
    setImmediate(() => {
      if (this.closed) return;
      for (const handler of targets) {
        try {
          handler(message, channel);
        } catch (error) {
          this.logger.error(`Subscriber of ${channel} threw: ${String(error)}`);
        }
      }
    });
    return targets.length;
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    if (this.closed) throw new Error('Store is closed');
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
    }
    // Wrap so that the same function subscribed twice yields two independent subscriptions.
    const wrapped: MessageHandler = (message, ch) => handler(message, ch);
    handlers.add(wrapped);
    return async () => {
      const current = this.channels.get(channel);
      current?.delete(wrapped);
      if (current?.size === 0) this.channels.delete(channel);
    };
  }

  onReconnect(handler: () => void): () => void {
    // An in-process bus cannot lose messages, so there is never a reconnect to report.
    void handler;
    return () => undefined;
  }

  async slidingWindow(key: string, limit: number, windowMs: number, nowMs?: number): Promise<SlidingWindowResult> {
    const { results } = await this.slidingWindowAll([{ key, limit, windowMs }], nowMs);
    return results[0];
  }

  async slidingWindowAll(
    limits: readonly SlidingWindowLimit[],
    nowMs?: number,
    options: SlidingWindowOptions = {},
  ): Promise<SlidingWindowAllResult> {
    for (const l of limits) assertWindow(l.limit, l.windowMs);
    assertNowMs(nowMs);
    const increments = options.increments ?? [];
    for (const c of increments) {
      assertInteger(c.by ?? 1, 'by');
      assertTtlSecs(c.ttlSecs);
    }
    const now = nowMs ?? this.clock();
    // Same steps as SLIDING_WINDOW_LUA; everything is checked (types included) before anything changes.
    const member = `${now}-${memberSuffix(options.member)}`;
    const logs = limits.map((l) => {
      const entry = this.readLog(l.key);
      // Scores ascend: the entries still in the window are a suffix of the log.
      const start = entry ? entry.scores.findIndex((s) => s > now - l.windowMs) : 0;
      const scores = entry && start >= 0 ? entry.scores.slice(start) : [];
      const members = entry && start >= 0 ? entry.members.slice(start) : [];
      return { limit: l, scores, members, admitsAlone: l.limit > 0 && scores.length < l.limit };
    });
    for (const c of increments) this.checkIncrement(c.key, c.by ?? 1);
    const allowed = logs.every(({ limit, admitsAlone }) => limit.shadow === true || admitsAlone);

    const results = logs.map(({ limit, scores, members, admitsAlone }) => {
      const logged = limit.shadow === true ? admitsAlone : allowed;
      if (logged) members.splice(insertSorted(scores, now), 0, member);
      if (scores.length === 0) {
        this.entries.delete(limit.key);
      } else {
        const previous = this.readLog(limit.key);
        // Like PEXPIRE: relative to the store's clock, whatever `nowMs` the caller passed.
        const expiresAt = logged ? this.clock() + limit.windowMs : (previous?.expiresAt ?? null);
        this.entries.set(limit.key, { type: 'log', scores, members, expiresAt });
      }
      const raw: SlidingWindowRaw = {
        allowed: admitsAlone,
        count: scores.length,
        oldestScore: scores.length > 0 ? scores[0] : null,
        unblockScore: admitsAlone || limit.limit <= 0 ? null : scores[scores.length - limit.limit],
      };
      return toSlidingWindowResult(limit, now, raw);
    });
    const counters = increments.map((c) => this.incrNow(c.key, c.by ?? 1, c.ttlSecs));
    return { allowed, results, counters, nowMs: now, member };
  }

  async slidingWindowForget(keys: readonly string[], member: string): Promise<number> {
    let removed = 0;
    for (const key of keys) {
      const entry = this.readLog(key);
      const i = entry ? entry.members.indexOf(member) : -1;
      if (!entry || i < 0) continue;
      entry.scores.splice(i, 1);
      entry.members.splice(i, 1);
      removed += 1;
      if (entry.scores.length === 0) this.entries.delete(key);
    }
    return removed;
  }

  async getVersion(versionKey: string): Promise<string | null> {
    return this.get(versionKey);
  }

  async bumpVersion(versionKey: string, ttlSecs: number): Promise<string> {
    assertTtlSecs(ttlSecs);
    const next = await this.incr(versionKey, 1);
    await this.expire(versionKey, ttlSecs);
    return String(next);
  }

  async setIfVersion(key: string, value: string, ttlSecs: number, versionKey: string, expectedVersion: string | null): Promise<boolean> {
    assertTtlSecs(ttlSecs);
    const current = await this.get(versionKey);
    if (current !== expectedVersion) return false;
    this.writeString(key, value, ttlSecs);
    return true;
  }

  async pushList(key: string, values: readonly string[], maxLength?: number): Promise<number> {
    assertMaxLength(maxLength);
    if (values.length === 0) return 0;
    const entry = this.readList(key);
    const current = entry?.values.length ?? 0;
    const n = maxLength === undefined ? values.length : Math.max(0, Math.min(values.length, maxLength - current));
    if (n === 0) return 0;
    if (entry) entry.values.push(...values.slice(0, n));
    else this.entries.set(key, { type: 'list', values: values.slice(0, n), expiresAt: null });
    return n;
  }

  async popList(key: string, count: number): Promise<string[]> {
    assertCount(count);
    const entry = this.readList(key);
    if (!entry) return [];
    const taken = entry.values.splice(0, count);
    // Like Redis: an emptied list no longer exists.
    if (entry.values.length === 0) this.entries.delete(key);
    return taken;
  }

  async listLength(key: string): Promise<number> {
    return this.readList(key)?.values.length ?? 0;
  }

  async spendReserve(request: SpendReserveRequest): Promise<SpendReserveResult> {
    return this.spend.reserve(request);
  }

  async spendSettle(request: SpendSettleRequest): Promise<SpendSettleResult> {
    return this.spend.settle(request);
  }

  async spendLoad(entries: readonly SpendLoadEntry[]): Promise<void> {
    this.spend.load(entries);
  }

  async spendRead(keys: readonly string[]): Promise<SpendCounterState[]> {
    return this.spend.read(keys);
  }

  async spendRefresh(reservationKeys: readonly string[], member: string, ttlMs: number): Promise<number> {
    return this.spend.refresh(reservationKeys, member, ttlMs);
  }

  async spendTakeUnflushed(dirtyKey: string, count: number): Promise<SpendFlushEntry[]> {
    assertCount(count);
    return this.spend.takeUnflushed(dirtyKey, count);
  }

  async spendReturnUnflushed(dirtyKey: string, entries: readonly SpendFlushEntry[]): Promise<void> {
    this.spend.returnUnflushed(dirtyKey, entries);
  }

  async breakerRecord(request: BreakerRecordRequest): Promise<BreakerRecordResult> {
    return this.breakers.record(request);
  }

  async breakerRead(keys: readonly string[], holder: string): Promise<SharedBreakerStatus[]> {
    return this.breakers.read(keys, holder);
  }

  async breakerClaimProbe(key: string, holder: string, cooldownMs: number, leaseMs: number): Promise<BreakerClaimResult> {
    return this.breakers.claim(key, holder, cooldownMs, leaseMs);
  }

  async breakerReleaseProbe(key: string, holder: string): Promise<SharedBreakerStatus> {
    return this.breakers.release(key, holder);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.channels.clear();
  }

  /** Drops expired keys; also runs periodically. */
  sweep(): void {
    const now = this.clock();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.entries.delete(key);
    }
    this.spend.sweep();
    this.breakers.sweep();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private readString(key: string): StringEntry | undefined {
    const entry = this.live(key);
    if (entry && entry.type !== 'string') throw wrongType();
    return entry;
  }

  private readLog(key: string): LogEntry | undefined {
    const entry = this.live(key);
    if (entry && entry.type !== 'log') throw wrongType();
    return entry;
  }

  private readList(key: string): ListEntry | undefined {
    const entry = this.live(key);
    if (entry && entry.type !== 'list') throw wrongType();
    return entry;
  }

  private writeString(key: string, value: string, ttlSecs: number | undefined): void {
    const expiresAt = ttlSecs === undefined ? null : this.clock() + ttlSecs * 1000;
    this.entries.set(key, { type: 'string', value, expiresAt });
  }
}

function wrongType(): Error {
  return new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
}

/** Inserts `value` after any equal scores; returns where it went. */
function insertSorted(scores: number[], value: number): number {
  let lo = 0;
  let hi = scores.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (scores[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  scores.splice(lo, 0, value);
  return lo;
}
