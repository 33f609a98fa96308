import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers already set on the reply (request id, security headers, CORS). */
export type StreamHeaders = Record<string, string | number | string[] | undefined>;
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { AUDIT_STREAM_EVENT, type AuditSummary } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, LOGGER, envelope } from '@ailink/gateway-core';
import { KeyValueStore, type Unsubscribe } from '@ailink/gateway-redis';
import { AUDIT_STREAM_CHANNEL, AUDIT_STREAM_HELLO_CHANNEL } from './audit.constants';
import { type AuditFilter, matchesFilter } from './audit-filter';

export type AuditStreamListener = (records: AuditSummary[]) => void;

/** A client that reads slower than records arrive is disconnected past this much unsent data. */
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;

/**
 * Live audit records for `GET /audit/stream`. Every writer publishes the summaries it has written on
 * the Redis channel `ailink:audit:written`, so a record written by any instance reaches the streams of
 * every instance. This instance subscribes while at least one stream is open.
 */
@Injectable()
export class AuditStreamService implements OnModuleDestroy {
  /** Interval of `: heartbeat` comments on an idle stream. */
  heartbeatMs = 15_000;

  private readonly listeners = new Set<AuditStreamListener>();
  private readonly sessions = new Set<() => void>();
  private subscription?: Promise<Unsubscribe>;

  constructor(
    private readonly store: KeyValueStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Open SSE connections on this instance. */
  get openStreams(): number {
    return this.sessions.size;
  }

  /**
   * Makes sure this instance receives written records; call before answering a stream request so
   * that a failure becomes a normal error response (503 `dependency_unavailable`).
   */
  async ready(): Promise<void> {
    try {
      await this.subscribe();
    } catch (error) {
      throw new GatewayError(ErrorCode.DependencyUnavailable, 'The live audit stream is unavailable: Redis cannot be reached', {
        cause: error,
      });
    }
  }

  /** Calls `listener` with every batch of written records until the returned function is called. */
  async listen(listener: AuditStreamListener): Promise<() => void> {
    this.listeners.add(listener);
    try {
      await this.subscribe();
    } catch (error) {
      this.listeners.delete(listener);
      throw error;
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) void this.unsubscribe();
    };
  }

  /**
   * Serves one SSE connection: headers (with those already set on the reply: request id, security
   * headers, CORS), a `: connected` comment, then `event: audit` with the JSON array of matching new
   * summaries, `: heartbeat` comments while idle, until the client goes away or the gateway stops.
   */
  async serve(request: IncomingMessage, response: ServerResponse, headers: StreamHeaders, filter: AuditFilter): Promise<void> {
    const base = definedHeaders(headers);
    const state: { closed: boolean; heartbeat?: NodeJS.Timeout; stopListening?: () => void } = { closed: false };
    const close = () => {
      if (state.closed) return;
      state.closed = true;
      clearInterval(state.heartbeat);
      state.stopListening?.();
      this.sessions.delete(close);
      if (!response.writableEnded) response.end();
    };
    const write = (frame: string) => {
      if (state.closed) return;
      response.write(frame);
      if (response.writableLength > MAX_UNSENT_BYTES) {
        this.logger.warn('Audit stream: client reads too slowly, closing the stream');
        close();
      }
    };

    this.sessions.add(close);
    // The response's `close` means the client went away (or the response ended); a request's `close`
    // only says that its body was read.
    response.once('close', close);
    response.once('error', close);
    try {
      state.stopListening = await this.listen((records) => {
        const matching = records.filter((record) => matchesFilter(record, filter));
        if (matching.length > 0) write(`event: ${AUDIT_STREAM_EVENT}\ndata: ${JSON.stringify(matching)}\n\n`);
      });
    } catch (error) {
      this.logger.error({ err: error }, 'Audit stream: cannot subscribe to written records');
      this.sessions.delete(close);
      state.closed = true;
      if (!response.headersSent) {
        const failure = envelope(
          ErrorCode.DependencyUnavailable,
          'The live audit stream is unavailable: Redis cannot be reached',
          String(headers['x-request-id'] ?? ''),
        );
        response.writeHead(failure.status, { ...base, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        response.end(JSON.stringify(failure.body));
      }
      return;
    }
    if (state.closed || response.destroyed || request.socket.destroyed) {
      close();
      return;
    }
    response.writeHead(200, {
      ...base,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.flushHeaders();
    write(': connected\n\n');
    state.heartbeat = setInterval(() => write(': heartbeat\n\n'), this.heartbeatMs);
    state.heartbeat.unref();
  }

  /** Ends every open stream (shutdown: before the HTTP server closes, which would wait for them). */
  async onModuleDestroy(): Promise<void> {
    for (const close of [...this.sessions]) close();
    await this.unsubscribe();
  }

  private subscribe(): Promise<Unsubscribe> {
    if (!this.subscription) {
      const attempt = this.store
        .subscribe(AUDIT_STREAM_CHANNEL, (message) => this.dispatch(message))
        .then(async (unsubscribe) => {
          // Wake the flushers that stopped publishing because nobody listened.
          await this.store.publish(AUDIT_STREAM_HELLO_CHANNEL, '1').catch(() => 0);
          return unsubscribe;
        });
      this.subscription = attempt;
      attempt.catch(() => {
        if (this.subscription === attempt) this.subscription = undefined;
      });
    }
    return this.subscription;
  }

  private async unsubscribe(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    if (!subscription) return;
    try {
      await (
        await subscription
      )();
    } catch {
      // Already gone (Redis closed or the subscription never became active).
    }
  }

  private dispatch(message: string): void {
    let records: AuditSummary[];
    try {
      const parsed: unknown = JSON.parse(message);
      if (!Array.isArray(parsed)) return;
      records = parsed as AuditSummary[];
    } catch {
      this.logger.warn('Audit stream: ignoring a malformed message');
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(records);
      } catch (error) {
        this.logger.error({ err: error }, 'Audit stream listener failed');
      }
    }
  }
}

function definedHeaders(headers: StreamHeaders): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}
