import { Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { InvalidationListener, InvalidationMessage } from './cache-invalidation-bus';
import { assertResourceKind, INVALIDATION_CHANNEL, negativeResourceKey, resourceKey, resourceVersionKey } from './cache-keys';
import type { KeyValueStore } from './key-value-store';

export interface TieredCacheOptions<T> {
  /** Resource kind in keys and invalidation messages: `token`, `policy`, `credential`, ... */
  kind: string;
  /** Reads the system of record (PostgreSQL); null when the id does not exist. */
  loader: (id: string) => Promise<T | null>;
  /** L1 bound (`AILINK_L1_MAX_ENTRIES`). */
  l1MaxEntries: number;
  /** L1 entry lifetime (`AILINK_L1_TTL_MS`). */
  l1TtlMs: number;
  /** L2 entry lifetime (`AILINK_L2_TTL_SECS`). */
  l2TtlSecs: number;
  /** Lifetime of negative entries in L2 (L1 keeps them at most `l1TtlMs`). Default 60 s. */
  negativeTtlSecs?: number;
  /** L2 encoding. Default `JSON.stringify`. */
  serialize?: (value: T) => string;
  /** L2 decoding; may rebuild derived state (e.g. compile a policy). Default `JSON.parse`. */
  deserialize?: (raw: string) => T;
}

/** An L1 slot: `value: null` is a negative entry (the loader found nothing). */
interface L1Entry<T> {
  value: T | null;
}

/** A load in progress, shared by concurrent callers for the same id. */
interface Flight<T> {
  promise: Promise<T | null>;
  /** Set when the id was invalidated during the load: the result must not go into L1. */
  stale: boolean;
}

const WARN_INTERVAL_MS = 10_000;

/**
 * Three-tier resolution of one kind of object: L1 in-process LRU → L2 in the {@link KeyValueStore}
 * (`ailink:res:{kind}:{id}`) → the loader (PostgreSQL).
 *
 * - Concurrent misses for one id share one L2 read and one loader call.
 * - A null from the loader is cached as a negative entry in L1 and L2 (`ailink:res:neg:{kind}:{id}`).
 * - Refills of L2 (positive or negative) only happen if `ailink:resver:{kind}:{id}`, read before the
 *   loader was called, is unchanged ({@link KeyValueStore.setIfVersion}), so a reader racing with a
 *   write cannot put a stale row back. A load overtaken by an invalidation is not kept in L1 either.
 * - When the store is unreachable, L2 is skipped and the loader answers (spec: "Redis dependency").
 *
 * Values handed out from L1 are shared: callers must not mutate them.
 *
 * SECURITY: a cache entry must never hold a decrypted secret. L2 is Redis, L1 lives as long as the
 * process; cache credential metadata and ciphertext only, and decrypt per request.
 *
 * Create instances with {@link TieredCacheFactory}, which wires them to the invalidation channel.
 */
export class TieredCache<T> implements InvalidationListener {
  readonly kind: string;

  private readonly logger: Logger;
  private readonly l1: LRUCache<string, L1Entry<T>>;
  private readonly inflight = new Map<string, Flight<T>>();
  private readonly loader: (id: string) => Promise<T | null>;
  private readonly l1TtlMs: number;
  private readonly l2TtlSecs: number;
  private readonly negativeTtlSecs: number;
  private readonly serialize: (value: T) => string;
  private readonly deserialize: (raw: string) => T;
  private lastWarnAt = 0;

  constructor(
    private readonly store: KeyValueStore,
    options: TieredCacheOptions<T>,
  ) {
    assertResourceKind(options.kind);
    assertPositiveInteger(options.l1MaxEntries, 'l1MaxEntries');
    assertPositiveInteger(options.l1TtlMs, 'l1TtlMs');
    assertPositiveInteger(options.l2TtlSecs, 'l2TtlSecs');
    if (options.negativeTtlSecs !== undefined) {
      assertPositiveInteger(options.negativeTtlSecs, 'negativeTtlSecs');
    }
    this.kind = options.kind;
    this.logger = new Logger(`TieredCache:${options.kind}`);
    this.loader = options.loader;
    this.l1TtlMs = options.l1TtlMs;
    this.l2TtlSecs = options.l2TtlSecs;
    this.negativeTtlSecs = options.negativeTtlSecs ?? 60;
    this.serialize = options.serialize ?? ((value) => JSON.stringify(value));
    this.deserialize = options.deserialize ?? ((raw) => JSON.parse(raw) as T);
    this.l1 = new LRUCache<string, L1Entry<T>>({
      max: options.l1MaxEntries,
      ttl: options.l1TtlMs,
    });
  }

  /** The object with this id, or null when it does not exist. Rejects only if the loader does. */
  get(id: string): Promise<T | null> {
    const entry = this.l1.get(id);
    if (entry) return Promise.resolve(entry.value);
    const pending = this.inflight.get(id);
    if (pending) return pending.promise;

    const flight: Flight<T> = { promise: Promise.resolve(null), stale: false };
    flight.promise = this.resolve(id, flight).finally(() => {
      if (this.inflight.get(id) === flight) this.inflight.delete(id);
    });
    this.inflight.set(id, flight);
    return flight.promise;
  }

  /**
   * After a committed change to object `id`: bump its version, delete its L2 entries, evict it from
   * this instance's L1 and tell every instance to evict theirs. Rejects when the store is down.
   */
  async invalidate(id: string, projectId: string | null = null): Promise<void> {
    try {
      await this.store.bumpVersion(resourceVersionKey(this.kind, id), this.l2TtlSecs + 60);
      await this.store.del(resourceKey(this.kind, id), negativeResourceKey(this.kind, id));
    } finally {
      this.evictLocal(id);
    }
    const message: InvalidationMessage = {
      kind: this.kind,
      id,
      project_id: projectId,
    };
    await this.store.publish(INVALIDATION_CHANNEL, JSON.stringify(message));
  }

  /** Drops this instance's copy of `id` (L1 and any load in progress). */
  evictLocal(id: string): void {
    this.l1.delete(id);
    const flight = this.inflight.get(id);
    if (flight) {
      flight.stale = true;
      this.inflight.delete(id);
    }
  }

  /** Drops every L1 entry of this cache on this instance. */
  clearLocal(): void {
    this.l1.clear();
    for (const flight of this.inflight.values()) flight.stale = true;
    this.inflight.clear();
  }

  /** Number of L1 entries (positive and negative). */
  get localSize(): number {
    return this.l1.size;
  }

  /** {@link InvalidationListener}: a message for this kind arrived. */
  evict(message: InvalidationMessage): void {
    this.evictLocal(message.id);
  }

  /** {@link InvalidationListener}: messages may have been missed. */
  reset(): void {
    this.clearLocal();
  }

  private async resolve(id: string, flight: Flight<T>): Promise<T | null> {
    const key = resourceKey(this.kind, id);
    const negativeKey = negativeResourceKey(this.kind, id);
    const versionKey = resourceVersionKey(this.kind, id);

    // One round trip: the L2 entry, the negative entry and the version seen before loading.
    let l2: (string | null)[] | null = null;
    try {
      l2 = await this.store.mget([key, negativeKey, versionKey]);
    } catch (error) {
      this.warn(`L2 read failed, loading from the source: ${describe(error)}`);
    }

    if (l2) {
      const [raw, negative] = l2;
      if (raw !== null) {
        const value = this.decode(raw, id);
        if (value !== undefined) {
          this.remember(id, { value }, flight);
          return value;
        }
      } else if (negative !== null) {
        this.remember(id, { value: null }, flight);
        return null;
      }
    }

    const loaded = await this.loader(id);

    if (l2) {
      const version = l2[2];
      try {
        const written =
          loaded === null
            ? await this.store.setIfVersion(negativeKey, '1', this.negativeTtlSecs, versionKey, version)
            : await this.store.setIfVersion(key, this.serialize(loaded), this.l2TtlSecs, versionKey, version);
        // The object changed while it was being loaded: this result may already be outdated.
        if (!written) flight.stale = true;
      } catch (error) {
        this.warn(`L2 refill failed: ${describe(error)}`);
      }
    }
    this.remember(id, { value: loaded }, flight);
    return loaded;
  }

  private remember(id: string, entry: L1Entry<T>, flight: Flight<T>): void {
    if (flight.stale) return;
    if (entry.value === null) {
      this.l1.set(id, entry, {
        ttl: Math.min(this.l1TtlMs, this.negativeTtlSecs * 1000),
      });
    } else {
      this.l1.set(id, entry);
    }
  }

  private decode(raw: string, id: string): T | undefined {
    try {
      return this.deserialize(raw);
    } catch (error) {
      this.warn(`Ignoring undecodable L2 entry for ${id}: ${describe(error)}`);
      return undefined;
    }
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_INTERVAL_MS) return;
    this.lastWarnAt = now;
    this.logger.warn(message);
  }
}

function assertPositiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
