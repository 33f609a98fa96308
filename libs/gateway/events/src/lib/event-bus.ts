import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { EVENT_TYPES, type EventDetails, type EventType, type GatewayEvent } from '@ailink/shared-contracts';
import { LOGGER, PUBLIC_TOKEN_ID, randomHex, redactVirtualTokens } from '@ailink/gateway-core';
import { KeyValueStore, type Unsubscribe } from '@ailink/gateway-redis';

/** The Redis channel events travel on between instances. */
export const EVENTS_CHANNEL = 'ailink:events';

const KNOWN_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
const RESUBSCRIBE_MS = 5_000;

/** What a caller of {@link EventBus.emit} gives; the bus adds `event_type`, `event_id` and `timestamp`. */
export interface EmitInput<T extends EventType> {
  project_id: string;
  /** The token's public id (`tok_…`); anything else is refused. Omit for events not tied to a token. */
  token_id?: string | null;
  token_name?: string | null;
  details: EventDetails<T>;
}

/** Where an event a subscriber receives was emitted. */
export type EventOrigin = 'local' | 'remote';

/**
 * `local`: only events emitted by this instance, each exactly once cluster-wide (the extension point
 * for per-event side effects such as webhook deliveries). `all` (default): also those emitted by
 * other instances, received over Redis (for fan-out to clients connected to this instance).
 */
export type EventScope = 'local' | 'all';

export interface SubscribeOptions {
  /** Only these event types (default: all). */
  types?: readonly EventType[];
  scope?: EventScope;
}

export type EventHandler = (event: GatewayEvent, origin: EventOrigin) => void | Promise<void>;

interface Subscription {
  handler: EventHandler;
  types: ReadonlySet<string> | null;
  scope: EventScope;
}

interface WireMessage {
  /** The emitting instance. */
  o: string;
  e: GatewayEvent;
}

/**
 * The gateway's domain-event bus (approvals-webhooks-anomalies.md §2). `emit` builds the envelope
 * `{event_type, event_id, timestamp, token_id, token_name, project_id, details}`, hands it to this
 * instance's subscribers on a later turn of the event loop, and publishes it on the Redis channel
 * `ailink:events`, from which every other instance's subscribers receive it. Emitting never waits
 * and never throws for delivery problems (a subscriber that throws or a Redis that is down is
 * logged); it is safe to call from the proxy's hot path.
 *
 * Webhook delivery (a later issue) plugs in with `subscribe(handler, { scope: 'local' })`: each event
 * then reaches it exactly once, on the instance that emitted it (which inserts the
 * `webhook_deliveries` rows and dispatches them).
 */
@Injectable()
export class EventBus implements OnModuleInit, OnModuleDestroy {
  /** Identifies this instance's messages on the channel. */
  readonly instanceId = randomHex(8);
  private readonly subscriptions = new Set<Subscription>();
  private unsubscribe?: Unsubscribe;
  private retry?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly store: KeyValueStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.subscriptions.clear();
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch(() => undefined);
  }

  /**
   * Emits an event and returns its envelope. Throws (a programming error) for an unknown type or a
   * `token_id` that is not a public token id; a bearer secret found anywhere in `details` is replaced
   * by its public id (and logged as an error, without the secret).
   */
  emit<T extends EventType>(type: T, input: EmitInput<T>): GatewayEvent<T> {
    if (!KNOWN_TYPES.has(type)) throw new TypeError(`Unknown event type ${JSON.stringify(type)}`);
    const tokenId = input.token_id ?? null;
    if (tokenId !== null && !PUBLIC_TOKEN_ID.test(tokenId)) {
      throw new TypeError('Events carry the public token id (tok_…), never anything else');
    }
    const event: GatewayEvent<T> = {
      event_type: type,
      event_id: randomUUID(),
      timestamp: new Date().toISOString(),
      token_id: tokenId,
      token_name: input.token_name == null ? null : redactVirtualTokens(input.token_name),
      project_id: input.project_id,
      details: this.scrub(type, input.details),
    };
    if (this.subscriptions.size > 0) setImmediate(() => this.deliver(event, 'local'));
    if (!this.closed) {
      const message: WireMessage = { o: this.instanceId, e: event };
      this.store.publish(EVENTS_CHANNEL, JSON.stringify(message)).catch((error: unknown) => {
        this.logger.warn({ err: error, event_type: type, event_id: event.event_id }, 'Could not publish an event to other instances');
      });
    }
    return event;
  }

  /** Registers a subscriber; returns the function that removes it. */
  subscribe(handler: EventHandler, options: SubscribeOptions = {}): () => void {
    const subscription: Subscription = {
      handler,
      types: options.types ? new Set(options.types) : null,
      scope: options.scope ?? 'all',
    };
    this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    try {
      this.unsubscribe = await this.store.subscribe(EVENTS_CHANNEL, (message) => this.receive(message));
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not subscribe to the event channel; retrying');
      this.retry = setTimeout(() => void this.listen(), RESUBSCRIBE_MS);
      this.retry.unref();
    }
  }

  private receive(raw: string): void {
    let message: WireMessage;
    try {
      message = JSON.parse(raw) as WireMessage;
    } catch {
      this.logger.warn('Ignoring a malformed message on the event channel');
      return;
    }
    // This instance's own events were delivered locally when emitted.
    if (message.o === this.instanceId || !message.e || typeof message.e.event_type !== 'string') return;
    this.deliver(message.e, 'remote');
  }

  private deliver(event: GatewayEvent, origin: EventOrigin): void {
    for (const subscription of this.subscriptions) {
      if (origin === 'remote' && subscription.scope === 'local') continue;
      if (subscription.types && !subscription.types.has(event.event_type)) continue;
      try {
        const result = subscription.handler(event, origin);
        if (result && typeof result.then === 'function') {
          result.then(undefined, (error: unknown) => this.handlerFailed(event, error));
        }
      } catch (error) {
        this.handlerFailed(event, error);
      }
    }
  }

  private handlerFailed(event: GatewayEvent, error: unknown): void {
    this.logger.error({ err: error, event_type: event.event_type, event_id: event.event_id }, 'An event subscriber failed');
  }

  /** A copy of `details` with every virtual-token secret replaced by its public id. */
  private scrub<T extends EventType>(type: T, details: EventDetails<T>): EventDetails<T> {
    const json = JSON.stringify(details ?? {});
    const clean = redactVirtualTokens(json);
    if (clean === json) return JSON.parse(json) as EventDetails<T>;
    this.logger.error({ event_type: type }, 'An event carried a virtual-token secret; it was replaced by the public id');
    return JSON.parse(clean) as EventDetails<T>;
  }
}
