import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { GatewayEvent } from '@ailink/shared-contracts';
import { LOGGER } from '@ailink/gateway-core';
import { EventBus } from '@ailink/gateway-events';

/** Headers already set on the reply (request id, security headers, CORS). */
export type StreamHeaders = Record<string, string | number | string[] | undefined>;

/** A client that reads slower than events arrive is disconnected past this much unsent data. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;
const STREAM_TYPES = ['approval_requested', 'approval_decided'] as const;

/**
 * `GET /approvals/stream`: server-sent events of one project's `approval_requested` and
 * `approval_decided` events (the webhook envelope as `data`, the event type as the SSE `event`), from
 * every instance (through the event bus's Redis channel), with `: heartbeat` comments while idle.
 */
@Injectable()
export class ApprovalsStreamService implements OnModuleDestroy {
  /** Interval of `: heartbeat` comments on an idle stream. */
  heartbeatMs = 15_000;
  private readonly sessions = new Set<() => void>();

  constructor(
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Open SSE connections on this instance. */
  get openStreams(): number {
    return this.sessions.size;
  }

  serve(request: IncomingMessage, response: ServerResponse, headers: StreamHeaders, projectId: string): void {
    const base: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) base[name] = value;
    const state: { closed: boolean; heartbeat?: NodeJS.Timeout; unsubscribe?: () => void } = { closed: false };
    const close = (): void => {
      if (state.closed) return;
      state.closed = true;
      clearInterval(state.heartbeat);
      state.unsubscribe?.();
      this.sessions.delete(close);
      if (!response.writableEnded) response.end();
    };
    const write = (frame: string): void => {
      if (state.closed) return;
      response.write(frame);
      if (response.writableLength > MAX_UNSENT_BYTES) {
        this.logger.warn('Approvals stream: client reads too slowly, closing the stream');
        close();
      }
    };
    this.sessions.add(close);
    response.once('close', close);
    response.once('error', close);
    if (response.destroyed || request.socket.destroyed) {
      close();
      return;
    }
    state.unsubscribe = this.bus.subscribe(
      (event: GatewayEvent) => {
        if (event.project_id !== projectId) return;
        write(`event: ${event.event_type}\nid: ${event.event_id}\ndata: ${JSON.stringify(event)}\n\n`);
      },
      { types: STREAM_TYPES },
    );
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
  onModuleDestroy(): void {
    for (const close of Array.from(this.sessions)) close();
  }
}
