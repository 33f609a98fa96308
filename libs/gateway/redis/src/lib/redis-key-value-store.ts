import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import {
  KeyValueStore,
  type MessageHandler,
  type SlidingWindowAllResult,
  type SlidingWindowLimit,
  type SlidingWindowOptions,
  type SlidingWindowResult,
  type Unsubscribe,
} from './key-value-store';
import { BUMP_VERSION_LUA, INCR_WITH_TTL_LUA, PUSH_LIST_BOUNDED_LUA, SET_IF_VERSION_LUA, SLIDING_WINDOW_LUA } from './redis-scripts';
import { redactRedisUrl } from './redis-url';
import {
  SPEND_GUARD_TTL_SECS,
  assertMicros,
  reservationMember,
  type SpendCounterState,
  type SpendFlushEntry,
  type SpendLoadEntry,
  type SpendReserveRequest,
  type SpendReserveResult,
  type SpendSettleRequest,
  type SpendSettleResult,
} from './spend-counters';
import {
  SPEND_LOAD_LUA,
  SPEND_REFRESH_LUA,
  SPEND_RESERVE_LUA,
  SPEND_RETURN_UNFLUSHED_LUA,
  SPEND_SETTLE_LUA,
  SPEND_TAKE_UNFLUSHED_LUA,
} from './spend-scripts';
import { memberSuffix, toSlidingWindowResult } from './sliding-window';
import { BREAKER_CLAIM_LUA, BREAKER_READ_LUA, BREAKER_RECORD_LUA, BREAKER_RELEASE_LUA } from './breaker-scripts';
import {
  BREAKER_IDLE_TTL_SECS,
  assertBreakerSettings,
  assertHolder,
  assertPositiveMs,
  type BreakerClaimResult,
  type BreakerRecordRequest,
  type BreakerRecordResult,
  type SharedBreakerStatus,
} from './breaker-state';
import { assertCount, assertInteger, assertMaxLength, assertNowMs, assertTtlSecs, assertWindow } from './store-arguments';

export interface RedisKeyValueStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Prepended to every key and every pub/sub channel (e.g. per test run or per deployment). */
  keyPrefix?: string;
  /** TCP connect timeout. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** A command without an answer after this long rejects instead of hanging. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Shown by `CLIENT LIST`. Default `ailink`. */
  connectionName?: string;
}

type ScriptArg = string | number;

/** The commands registered with `defineCommand`. */
interface StoreScripts {
  ailinkSlidingWindow(numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  ailinkIncrWithTtl(key: string, by: number, ttlSecs: number): Promise<unknown>;
  ailinkBumpVersion(key: string, ttlSecs: number): Promise<unknown>;
  ailinkSetIfVersion(
    key: string,
    versionKey: string,
    value: string,
    ttlSecs: number,
    expectNone: '0' | '1',
    expected: string,
  ): Promise<unknown>;
  ailinkPushListBounded(key: string, maxLength: number, ...values: string[]): Promise<unknown>;
  ailinkSpendReserve(numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  ailinkSpendSettle(numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  ailinkSpendLoad(numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  ailinkSpendTakeUnflushed(key: string, count: number, prefix: string): Promise<unknown>;
  ailinkSpendReturnUnflushed(key: string, ...args: ScriptArg[]): Promise<unknown>;
  ailinkSpendRefresh(numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  ailinkBreakerRecord(key: string, ...args: ScriptArg[]): Promise<unknown>;
  ailinkBreakerRead(numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  ailinkBreakerClaim(key: string, ...args: ScriptArg[]): Promise<unknown>;
  ailinkBreakerRelease(key: string, holder: string): Promise<unknown>;
}

type ScriptedRedis = Redis & StoreScripts;

interface ChannelSubscription {
  handlers: Set<MessageHandler>;
  active: Promise<void>;
}

/**
 * The external-mode store on real Redis through ioredis: one command connection plus one subscriber
 * connection (a connection in subscriber mode cannot run other commands).
 *
 * Both connect lazily (or through {@link connect}), retry forever in the background, and let a
 * command fail after one reconnect attempt or `commandTimeoutMs`, so that a Redis outage surfaces as
 * a quick rejection the caller can handle (fail mode) rather than a hang. ioredis applies `keyPrefix`
 * to keys only, so channel names are prefixed here.
 */
export class RedisKeyValueStore extends KeyValueStore {
  readonly mode = 'redis' as const;

  private readonly logger = new Logger(RedisKeyValueStore.name);
  private readonly client: ScriptedRedis;
  private readonly subscriber: Redis;
  private readonly keyPrefix: string;
  private readonly channels = new Map<string, ChannelSubscription>();
  private readonly reconnectHandlers = new Set<() => void>();
  private readonly redactedUrl: string;
  private subscriberWasReady = false;
  private closed = false;

  constructor(options: RedisKeyValueStoreOptions) {
    super();
    this.keyPrefix = options.keyPrefix ?? '';
    this.redactedUrl = redactRedisUrl(options.url);
    const common: RedisOptions = {
      lazyConnect: true,
      keyPrefix: this.keyPrefix || undefined,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      // On close, a socket that never says goodbye is destroyed after this (ioredis default 2 s).
      disconnectTimeout: 200,
    };
    const name = options.connectionName ?? 'ailink';
    this.client = new Redis(options.url, {
      ...common,
      connectionName: name,
      // Commands issued in one turn of the event loop (many requests under load) leave in one write.
      enableAutoPipelining: true,
    }) as ScriptedRedis;
    this.subscriber = new Redis(options.url, {
      ...common,
      connectionName: `${name}:sub`,
    });

    this.client.defineCommand('ailinkSlidingWindow', {
      lua: SLIDING_WINDOW_LUA,
    });
    this.client.defineCommand('ailinkIncrWithTtl', {
      lua: INCR_WITH_TTL_LUA,
      numberOfKeys: 1,
    });
    this.client.defineCommand('ailinkBumpVersion', {
      lua: BUMP_VERSION_LUA,
      numberOfKeys: 1,
    });
    this.client.defineCommand('ailinkSetIfVersion', {
      lua: SET_IF_VERSION_LUA,
      numberOfKeys: 2,
    });
    this.client.defineCommand('ailinkPushListBounded', {
      lua: PUSH_LIST_BOUNDED_LUA,
      numberOfKeys: 1,
    });
    this.client.defineCommand('ailinkSpendReserve', { lua: SPEND_RESERVE_LUA });
    this.client.defineCommand('ailinkSpendSettle', { lua: SPEND_SETTLE_LUA });
    this.client.defineCommand('ailinkSpendLoad', { lua: SPEND_LOAD_LUA });
    this.client.defineCommand('ailinkSpendTakeUnflushed', { lua: SPEND_TAKE_UNFLUSHED_LUA, numberOfKeys: 1 });
    this.client.defineCommand('ailinkSpendReturnUnflushed', { lua: SPEND_RETURN_UNFLUSHED_LUA, numberOfKeys: 1 });
    this.client.defineCommand('ailinkSpendRefresh', { lua: SPEND_REFRESH_LUA });
    this.client.defineCommand('ailinkBreakerRecord', { lua: BREAKER_RECORD_LUA, numberOfKeys: 1 });
    this.client.defineCommand('ailinkBreakerRead', { lua: BREAKER_READ_LUA });
    this.client.defineCommand('ailinkBreakerClaim', { lua: BREAKER_CLAIM_LUA, numberOfKeys: 1 });
    this.client.defineCommand('ailinkBreakerRelease', { lua: BREAKER_RELEASE_LUA, numberOfKeys: 1 });

    this.watchHealth(this.client, 'command');
    this.watchHealth(this.subscriber, 'subscriber');
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    this.subscriber.on('ready', () => this.subscriberReady());
  }

  /**
   * Opens both connections; rejects with a message naming the (redacted) URL when Redis cannot be
   * reached. Optional: commands connect on first use anyway.
   */
  async connect(): Promise<void> {
    try {
      await Promise.all([openConnection(this.client), openConnection(this.subscriber)]);
    } catch (error) {
      throw new Error(
        `Redis at ${this.redactedUrl} is unreachable (${errorMessage(error)}). ` +
          'Start Redis, or unset REDIS_URL to run in embedded mode.',
      );
    }
  }

  async ping(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      const answer = this.client.ping().then(
        (reply) => reply === 'PONG',
        () => false,
      );
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async mget(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    return this.client.mget(...keys);
  }

  async set(key: string, value: string, ttlSecs?: number): Promise<void> {
    if (ttlSecs === undefined) {
      await this.client.set(key, value);
    } else {
      assertTtlSecs(ttlSecs);
      await this.client.set(key, value, 'EX', ttlSecs);
    }
  }

  async setIfAbsent(key: string, value: string, ttlSecs: number): Promise<boolean> {
    assertTtlSecs(ttlSecs);
    const reply = await this.client.set(key, value, 'EX', ttlSecs, 'NX');
    return reply === 'OK';
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    return this.client.del(...keys);
  }

  async incr(key: string, by = 1, ttlSecs?: number): Promise<number> {
    assertInteger(by, 'by');
    if (ttlSecs === undefined) return this.client.incrby(key, by);
    assertTtlSecs(ttlSecs);
    return toInteger(await this.client.ailinkIncrWithTtl(key, by, ttlSecs), 'incr');
  }

  async expire(key: string, ttlSecs: number): Promise<boolean> {
    assertTtlSecs(ttlSecs);
    return (await this.client.expire(key, ttlSecs)) === 1;
  }

  async pttl(key: string): Promise<number> {
    return this.client.pttl(key);
  }

  async publish(channel: string, message: string): Promise<number> {
    return this.client.publish(this.channelName(channel), message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    if (this.closed) throw new Error('Store is closed');
    const fullName = this.channelName(channel);
    // Wrap so that the same function subscribed twice yields two independent subscriptions.
    const wrapped: MessageHandler = (message, ch) => handler(message, ch);
    let subscription = this.channels.get(fullName);
    if (!subscription) {
      const created: ChannelSubscription = {
        handlers: new Set(),
        active: this.subscriber.subscribe(fullName).then(() => undefined),
      };
      created.active.catch(() => {
        if (this.channels.get(fullName) === created) this.channels.delete(fullName);
      });
      this.channels.set(fullName, created);
      subscription = created;
    }
    subscription.handlers.add(wrapped);
    try {
      await subscription.active;
    } catch (error) {
      subscription.handlers.delete(wrapped);
      throw error;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const current = this.channels.get(fullName);
      if (!current || !current.handlers.delete(wrapped) || current.handlers.size > 0) return;
      this.channels.delete(fullName);
      if (!this.closed) await this.subscriber.unsubscribe(fullName);
    };
  }

  onReconnect(handler: () => void): () => void {
    const wrapped = () => handler();
    this.reconnectHandlers.add(wrapped);
    return () => {
      this.reconnectHandlers.delete(wrapped);
    };
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
    const suffix = memberSuffix(options.member);
    const args: ScriptArg[] = [nowMs === undefined ? '' : nowMs, suffix, limits.length];
    for (const l of limits) args.push(l.limit, l.windowMs, l.shadow === true ? 1 : 0);
    for (const c of increments) args.push(c.by ?? 1, c.ttlSecs);
    const keys = [...limits.map((l) => l.key), ...increments.map((c) => c.key)];
    const reply = await this.client.ailinkSlidingWindow(keys.length, ...keys, ...args);
    const values = toIntegerArray(reply, 2 + 4 * limits.length + increments.length);
    const now = values[1];
    const results = limits.map((limit, i) => {
      const [alone, count, oldest, unblock] = values.slice(2 + 4 * i, 6 + 4 * i);
      return toSlidingWindowResult(limit, now, {
        allowed: alone === 1,
        count,
        oldestScore: oldest < 0 ? null : oldest,
        unblockScore: unblock < 0 ? null : unblock,
      });
    });
    return { allowed: values[0] === 1, results, counters: values.slice(2 + 4 * limits.length), nowMs: now, member: `${now}-${suffix}` };
  }

  async slidingWindowForget(keys: readonly string[], member: string): Promise<number> {
    if (keys.length === 0) return 0;
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.zrem(key, member);
    const replies = (await pipeline.exec()) ?? [];
    let removed = 0;
    for (const [error, reply] of replies) {
      if (error) throw error;
      removed += Number(reply);
    }
    return removed;
  }

  async getVersion(versionKey: string): Promise<string | null> {
    return this.client.get(versionKey);
  }

  async bumpVersion(versionKey: string, ttlSecs: number): Promise<string> {
    assertTtlSecs(ttlSecs);
    return String(toInteger(await this.client.ailinkBumpVersion(versionKey, ttlSecs), 'version'));
  }

  async setIfVersion(key: string, value: string, ttlSecs: number, versionKey: string, expectedVersion: string | null): Promise<boolean> {
    assertTtlSecs(ttlSecs);
    const reply = await this.client.ailinkSetIfVersion(
      key,
      versionKey,
      value,
      ttlSecs,
      expectedVersion === null ? '1' : '0',
      expectedVersion ?? '',
    );
    return toInteger(reply, 'setIfVersion') === 1;
  }

  async pushList(key: string, values: readonly string[], maxLength?: number): Promise<number> {
    assertMaxLength(maxLength);
    if (values.length === 0) return 0;
    if (maxLength === undefined) {
      await this.client.lpush(key, ...values);
      return values.length;
    }
    return toInteger(await this.client.ailinkPushListBounded(key, maxLength, ...values), 'pushList');
  }

  async popList(key: string, count: number): Promise<string[]> {
    assertCount(count);
    return (await this.client.rpop(key, count)) ?? [];
  }

  async listLength(key: string): Promise<number> {
    return this.client.llen(key);
  }

  async spendReserve(request: SpendReserveRequest): Promise<SpendReserveResult> {
    assertMicros(request.amountMicros, 'amountMicros');
    assertNowMs(request.nowMs);
    if (request.caps.length === 0) return { status: 'reserved', remainingMicros: [] };
    const keys = request.caps.flatMap((c) => [c.key, c.reservationKey]);
    const args: ScriptArg[] = [
      request.nowMs ?? '',
      request.ttlMs,
      reservationMember(request.owner, request.amountMicros),
      request.amountMicros,
      ...request.caps.map((c) => c.limitMicros),
    ];
    const reply = toIntegerList(await this.client.ailinkSpendReserve(keys.length, ...keys, ...args), 'spendReserve');
    if (reply[0] === 0) return { status: 'reserved', remainingMicros: reply.slice(1) };
    if (reply[0] === 1) return { status: 'rejected', index: reply[1], spentMicros: reply[2], reservedMicros: reply[3] };
    return { status: 'need_load', indexes: reply.slice(1) };
  }

  async spendSettle(request: SpendSettleRequest): Promise<SpendSettleResult> {
    if (request.deltas.length === 0) return { status: 'settled', spentMicros: [] };
    const keys: string[] = request.guardKey === undefined ? [] : [request.guardKey];
    const args: ScriptArg[] = [
      request.guardKey === undefined ? '0' : '1',
      request.guardTtlSecs ?? SPEND_GUARD_TTL_SECS,
      request.owner === undefined ? '' : reservationMember(request.owner, request.reservedMicros ?? 0),
      request.reservedMicros ?? 0,
    ];
    for (const d of request.deltas) {
      assertMicros(d.costMicros, 'costMicros');
      assertMicros(d.requests, 'requests');
      keys.push(d.key, d.reservationKey, d.dirtyKey);
      args.push(d.costMicros, d.requests, d.expireAtSecs ?? '', d.key);
    }
    const reply = toIntegerList(await this.client.ailinkSpendSettle(keys.length, ...keys, ...args), 'spendSettle');
    if (reply[0] === 0) return { status: 'settled', spentMicros: reply.slice(1) };
    if (reply[0] === 1) return { status: 'duplicate' };
    return { status: 'need_load', indexes: reply.slice(1) };
  }

  async spendLoad(entries: readonly SpendLoadEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const args: ScriptArg[] = [];
    for (const e of entries) {
      assertMicros(e.spentMicros, 'spentMicros');
      assertMicros(e.requests, 'requests');
      args.push(e.spentMicros, e.requests, e.expireAtSecs ?? '');
    }
    await this.client.ailinkSpendLoad(entries.length, ...entries.map((e) => e.key), ...args);
  }

  async spendRead(keys: readonly string[]): Promise<SpendCounterState[]> {
    if (keys.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.hmget(key, 'loaded', 'spent', 'reserved', 'requests');
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      const [loaded, spent, reserved, requests] = value as (string | null)[];
      return {
        loaded: loaded === '1',
        spentMicros: Number(spent ?? 0),
        reservedMicros: Math.max(0, Number(reserved ?? 0)),
        requests: Number(requests ?? 0),
      };
    });
  }

  async spendRefresh(reservationKeys: readonly string[], member: string, ttlMs: number): Promise<number> {
    if (reservationKeys.length === 0) return 0;
    return toInteger(await this.client.ailinkSpendRefresh(reservationKeys.length, ...reservationKeys, member, ttlMs), 'spendRefresh');
  }

  async spendTakeUnflushed(dirtyKey: string, count: number): Promise<SpendFlushEntry[]> {
    assertCount(count);
    const reply = await this.client.ailinkSpendTakeUnflushed(dirtyKey, count, this.keyPrefix);
    if (!Array.isArray(reply) || reply.length % 3 !== 0) throw new Error(`Unexpected Redis reply for spendTakeUnflushed: ${String(reply)}`);
    const out: SpendFlushEntry[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      out.push({
        key: String(reply[i]),
        spentMicros: toInteger(reply[i + 1], 'spendTakeUnflushed'),
        requests: toInteger(reply[i + 2], 'spendTakeUnflushed'),
      });
    }
    return out;
  }

  async spendReturnUnflushed(dirtyKey: string, entries: readonly SpendFlushEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const args: ScriptArg[] = [this.keyPrefix];
    for (const e of entries) args.push(e.key, e.spentMicros, e.requests);
    await this.client.ailinkSpendReturnUnflushed(dirtyKey, ...args);
  }

  async breakerRecord(request: BreakerRecordRequest): Promise<BreakerRecordResult> {
    assertBreakerSettings(request.settings);
    assertHolder(request.holder);
    if (request.outcomes.length === 0) {
      const [status] = await this.breakerRead([request.key], request.holder);
      return { ...status, opened: false, openedFailures: 0 };
    }
    const { settings } = request;
    const codes = request.outcomes.map((o) => (o.failed ? (o.probe ? 'F' : 'f') : o.probe ? 'S' : 's')).join('');
    const reply = toIntegerList(
      await this.client.ailinkBreakerRecord(
        request.key,
        settings.failureThreshold,
        settings.cooldownMs,
        settings.failureRateThreshold ?? '',
        settings.minSampleSize,
        BREAKER_IDLE_TTL_SECS,
        request.holder,
        codes,
      ),
      'breakerRecord',
    );
    return { ...toBreakerStatus(reply, 2), opened: reply[0] === 1, openedFailures: reply[1] };
  }

  async breakerRead(keys: readonly string[], holder: string): Promise<SharedBreakerStatus[]> {
    assertHolder(holder);
    if (keys.length === 0) return [];
    const reply = toIntegerList(await this.client.ailinkBreakerRead(keys.length, ...keys, holder), 'breakerRead');
    if (reply.length !== keys.length * 5) throw new Error(`Unexpected Redis reply for breakerRead: ${reply.length} values`);
    return keys.map((_, i) => toBreakerStatus(reply, i * 5));
  }

  async breakerClaimProbe(key: string, holder: string, cooldownMs: number, leaseMs: number): Promise<BreakerClaimResult> {
    assertHolder(holder);
    assertPositiveMs(cooldownMs, 'cooldownMs');
    assertPositiveMs(leaseMs, 'leaseMs');
    const reply = toIntegerList(
      await this.client.ailinkBreakerClaim(key, holder, cooldownMs, leaseMs, BREAKER_IDLE_TTL_SECS),
      'breakerClaimProbe',
    );
    return { ...toBreakerStatus(reply, 1), granted: reply[0] === 1 };
  }

  async breakerReleaseProbe(key: string, holder: string): Promise<SharedBreakerStatus> {
    assertHolder(holder);
    return toBreakerStatus(toIntegerList(await this.client.ailinkBreakerRelease(key, holder), 'breakerReleaseProbe'), 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    this.reconnectHandlers.clear();
    await Promise.all([closeConnection(this.client), closeConnection(this.subscriber)]);
  }

  private channelName(channel: string): string {
    return `${this.keyPrefix}${channel}`;
  }

  private dispatch(fullName: string, message: string): void {
    const subscription = this.channels.get(fullName);
    if (!subscription) return;
    const channel = fullName.slice(this.keyPrefix.length);
    for (const handler of subscription.handlers) {
      try {
        handler(message, channel);
      } catch (error) {
        this.logger.error(`Subscriber of ${channel} threw: ${errorMessage(error)}`);
      }
    }
  }

  private subscriberReady(): void {
    if (!this.subscriberWasReady) {
      this.subscriberWasReady = true;
      return;
    }
    // ioredis has just re-sent SUBSCRIBE for every channel; a PING queued behind them answers once
    // they are active, so handlers run when no further message can be missed.
    this.subscriber
      .ping()
      .catch(() => undefined)
      .then(() => {
        if (this.closed) return;
        for (const handler of this.reconnectHandlers) {
          try {
            handler();
          } catch (error) {
            this.logger.error(`Reconnect handler threw: ${errorMessage(error)}`);
          }
        }
      });
  }

  private watchHealth(connection: Redis, role: string): void {
    let down = false;
    connection.on('error', (error: Error) => {
      if (down || this.closed) return;
      down = true;
      this.logger.warn(`Redis ${role} connection to ${this.redactedUrl}: ${error.message}`);
    });
    connection.on('ready', () => {
      if (down && !this.closed) {
        this.logger.log(`Redis ${role} connection to ${this.redactedUrl} restored`);
      }
      down = false;
    });
  }
}

async function openConnection(connection: Redis): Promise<void> {
  if (connection.status === 'ready') return;
  if (connection.status === 'wait') {
    await connection.connect();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      connection.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      connection.off('ready', onReady);
      reject(error);
    };
    connection.once('ready', onReady);
    connection.once('error', onError);
  });
}

async function closeConnection(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  if (connection.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
    });
    const quit = connection.quit().then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([quit, timeout]);
    clearTimeout(timer);
  }
  // quit() may have ended it meanwhile; status is re-read on purpose.
  if ((connection.status as string) !== 'end') connection.disconnect();
}

function toInteger(reply: unknown, what: string): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  throw new Error(`Unexpected Redis reply for ${what}: ${String(reply)}`);
}

function toIntegerList(reply: unknown, what: string): number[] {
  if (!Array.isArray(reply) || reply.length === 0) throw new Error(`Unexpected Redis reply for ${what}: ${String(reply)}`);
  return reply.map((value: unknown) => toInteger(value, what));
}

/** The five status values of the breaker scripts, from `offset`. */
function toBreakerStatus(values: number[], offset: number): SharedBreakerStatus {
  if (values.length < offset + 5) throw new Error(`Unexpected Redis reply for a breaker script: ${values.length} values`);
  return {
    state: values[offset] === 1 ? 'open' : 'closed',
    failures: values[offset + 1],
    openForMs: values[offset + 2],
    leaseMs: values[offset + 3],
    otherLeaseMs: values[offset + 4],
  };
}

function toIntegerArray(reply: unknown, length: number): number[] {
  if (!Array.isArray(reply) || reply.length !== length) {
    throw new Error(`Unexpected Redis reply for slidingWindow: ${String(reply)}`);
  }
  return reply.map((value: unknown) => toInteger(value, 'slidingWindow'));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
