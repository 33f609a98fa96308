import { Readable } from 'node:stream';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Agent, type Dispatcher } from 'undici';
import { AppConfig } from '@ailink/gateway-core';

/** An upstream answer: buffered whole, or (a streamed 2xx) as a byte stream with backpressure. */
export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The whole body (buffered responses). */
  body?: Buffer;
  /** The body as it arrives (streamed responses). */
  stream?: Readable;
}

/** One upstream exchange in flight; `abort` cancels it at any point (client gone). */
export interface UpstreamCall {
  /** Resolves with the headers for a streamed response, after the last byte for a buffered one. */
  response: Promise<UpstreamResponse>;
  abort(reason: Error): void;
}

export interface UpstreamCallOptions {
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: Buffer | null;
  headersTimeout: number;
  bodyTimeout: number;
  /** Relay a 2xx body as a stream instead of buffering it. */
  stream: boolean;
  /** A buffered body above this many bytes fails the call (`RESPONSE_TOO_LARGE`). */
  maxBufferedBytes: number;
}

/** Marks failures after the upstream's headers arrived (a broken or oversized body). */
export const AFTER_HEADERS = Symbol('after-headers');

/**
 * The dispatch handler of one call (undici's handler interface, no intermediate body stream or
 * AbortSignal for buffered responses: the hot path's cheapest form).
 */
class CallHandler implements Dispatcher.DispatchHandler {
  private controller?: Dispatcher.DispatchController;
  private pendingAbort?: Error;
  private chunks: Buffer[] = [];
  private size = 0;
  private statusCode = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private stream?: Readable;
  private settled = false;

  constructor(
    private readonly options: UpstreamCallOptions,
    private readonly resolve: (response: UpstreamResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  abort(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.statusCode = statusCode;
    this.headers = headers;
    if (this.options.stream && statusCode >= 200 && statusCode < 300) {
      this.stream = new Readable({ read: () => controller.resume() });
      this.settle({ statusCode, headers, stream: this.stream });
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.stream) {
      if (!this.stream.push(chunk)) controller.pause();
      return;
    }
    this.size += chunk.length;
    if (this.size > this.options.maxBufferedBytes) {
      controller.abort(Object.assign(new Error('upstream response too large'), { code: 'RESPONSE_TOO_LARGE' }));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.stream) {
      this.stream.push(null);
      return;
    }
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.settle({ statusCode: this.statusCode, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.stream) {
      this.stream.destroy(error);
      return;
    }
    if (this.settled) return;
    this.settled = true;
    if (this.statusCode) Object.assign(error, { [AFTER_HEADERS]: true });
    this.reject(error);
  }

  private settle(response: UpstreamResponse): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(response);
  }
}

/**
 * The one place that talks to upstreams: a keep-alive undici Agent (a connection pool per origin),
 * connect timeout from config. Bodies are decoded only if the upstream compressed them anyway.
 */
@Injectable()
export class UpstreamClient implements OnApplicationShutdown {
  readonly agent: Agent;

  constructor(config: AppConfig) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: 256,
      pipelining: 1,
      connect: { timeout: config.upstreamConnectTimeoutMs },
    });
  }

  request(options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
    return this.agent.request(options);
  }

  /** One upstream exchange through the keep-alive pool (the proxy's forwarding primitive). */
  call(options: UpstreamCallOptions): UpstreamCall {
    let handler!: CallHandler;
    const response = new Promise<UpstreamResponse>((resolve, reject) => {
      handler = new CallHandler(options, resolve, reject);
    });
    this.agent.dispatch(
      {
        origin: options.origin,
        path: options.path,
        method: options.method,
        headers: options.headers,
        body: options.body,
        headersTimeout: options.headersTimeout,
        bodyTimeout: options.bodyTimeout,
      },
      handler,
    );
    return { response, abort: (reason) => handler.abort(reason) };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }
}

/** Transport errors where nothing reached the upstream: safe to fail over immediately. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let i = 0; i < 4 && current; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isConnectError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && CONNECT_ERRORS.has(code);
}

export function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT'
  );
}
