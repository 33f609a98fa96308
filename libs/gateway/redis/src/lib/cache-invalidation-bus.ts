import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { INVALIDATION_CHANNEL } from './cache-keys';
import { KeyValueStore, type Unsubscribe } from './key-value-store';

/** Body of a message on `ailink:invalidate`. */
export interface InvalidationMessage {
  kind: string;
  id: string;
  project_id: string | null;
}

/** Something holding instance-local copies of resolved objects of one kind. */
export interface InvalidationListener {
  /** An object of this kind changed (on any instance, this one included): drop local copies. */
  evict(message: InvalidationMessage): void;
  /** Messages may have been missed (the subscription was lost): drop every local copy. */
  reset(): void;
}

/**
 * The one subscriber to `ailink:invalidate` in this process. Routes each message to the listeners
 * registered for its `kind` (normally {@link TieredCache}s made by {@link TieredCacheFactory}) and
 * resets all of them when the subscriber connection comes back after a loss.
 */
@Injectable()
export class CacheInvalidationBus implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CacheInvalidationBus.name);
  private readonly listeners = new Map<string, Set<InvalidationListener>>();
  private started: Promise<void> | undefined;
  private unsubscribe: Unsubscribe | undefined;
  private offReconnect: (() => void) | undefined;

  constructor(private readonly store: KeyValueStore) {}

  /** Adds a listener for `kind`; returns a function that removes it. */
  register(kind: string, listener: InvalidationListener): () => void {
    let set = this.listeners.get(kind);
    if (!set) {
      set = new Set();
      this.listeners.set(kind, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Subscribes once (idempotent); called by Nest at module init. */
  start(): Promise<void> {
    if (!this.started) {
      this.offReconnect = this.store.onReconnect(() => this.resetAll());
      this.started = this.store
        .subscribe(INVALIDATION_CHANNEL, (message) => this.route(message))
        .then((unsubscribe) => {
          this.unsubscribe = unsubscribe;
        });
      this.started.catch(() => {
        this.started = undefined;
      });
    }
    return this.started;
  }

  /** Publishes an invalidation to every instance (this one included). */
  async publish(message: InvalidationMessage): Promise<void> {
    await this.store.publish(INVALIDATION_CHANNEL, JSON.stringify(message));
  }

  onModuleInit(): Promise<void> {
    return this.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.offReconnect?.();
    this.offReconnect = undefined;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    this.started = undefined;
    await unsubscribe?.().catch((error: unknown) => {
      this.logger.warn(`Unsubscribing from ${INVALIDATION_CHANNEL} failed: ${String(error)}`);
    });
  }

  private route(raw: string): void {
    const message = parseInvalidationMessage(raw);
    if (!message) {
      this.logger.warn(`Ignoring malformed message on ${INVALIDATION_CHANNEL}`);
      return;
    }
    for (const listener of this.listeners.get(message.kind) ?? []) {
      try {
        listener.evict(message);
      } catch (error) {
        this.logger.error(`Evicting ${message.kind}:${message.id} failed: ${String(error)}`);
      }
    }
  }

  private resetAll(): void {
    this.logger.log('Invalidation subscription restored: clearing every L1 cache');
    for (const set of this.listeners.values()) {
      for (const listener of set) listener.reset();
    }
  }
}

function parseInvalidationMessage(raw: string): InvalidationMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { kind, id, project_id: projectId } = parsed as Record<string, unknown>;
  if (typeof kind !== 'string' || typeof id !== 'string') return null;
  if (projectId !== undefined && projectId !== null && typeof projectId !== 'string') return null;
  return { kind, id, project_id: projectId ?? null };
}
