import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { redactVirtualTokens } from '../logging/redact';

const BASE_SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'x-xss-protection': '0',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** Proxy control headers the portal or SDKs may send cross-origin (proxy.md §3). */
export const PROXY_CONTROL_HEADERS = [
  'x-ailink-agent-name',
  'x-ailink-sdk-version',
  'x-session-id',
  'x-parent-span-id',
  'x-ailink-user-id',
  'x-ailink-tenant-id',
  'x-ailink-external-request-id',
  'x-ailink-no-cache',
  'x-ailink-log-level',
  'x-ailink-idempotency-key',
  'idempotency-key',
  'x-real-authorization',
  'x-api-key',
  'x-goog-api-key',
  'anthropic-version',
  'anthropic-beta',
  'openai-organization',
  'openai-project',
];

/** The security headers of every response (HSTS only in production). */
export function securityHeaders(config: Pick<AppConfig, 'isProduction'>): Record<string, string> {
  return {
    ...BASE_SECURITY_HEADERS,
    'strict-transport-security': config.isProduction ? 'max-age=63072000; includeSubDomains; preload' : 'max-age=0',
  };
}

/** Process lifecycle flags shared by the HTTP hooks and the shutdown sequence. */
export const lifecycle = { draining: false };

/**
 * Request-scoped plumbing done once per request with no allocation beyond the header map:
 * request id header, security headers, and (outside production, when
 * enabled) the test delay hook used by the graceful-shutdown test.
 */
export function registerHttpHooks(fastify: FastifyInstance, config: AppConfig): void {
  const security = securityHeaders(config);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.headers(security);
    if (request.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    done();
  });
  if (config.enableTestHooks && !config.isProduction) {
    fastify.addHook('onRequest', (request, _reply, done) => {
      const delay = Number(request.headers['x-ailink-test-delay-ms']);
      if (Number.isFinite(delay) && delay > 0) setTimeout(done, Math.min(delay, 30_000));
      else done();
    });
  }
  if (config.accessLog) {
    fastify.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        {
          method: request.method,
          path: redactVirtualTokens(request.url),
          status: reply.statusCode,
          duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request completed',
      );
      done();
    });
  }
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.statusCode >= 400) reply.header('cache-control', 'no-store');
    // While draining, finish keep-alive connections after their response so the server can close.
    if (lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** CORS per the spec's conventions: configured origins, plus any localhost origin outside production. */
export function corsOriginChecker(
  config: Pick<AppConfig, 'portalOrigins' | 'isProduction'>,
): (origin: string | undefined, cb: (err: Error | null, allow: string | boolean) => void) => void {
  const allowed = new Set(config.portalOrigins.map((o) => o.replace(/\/$/, '')));
  const localhost = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;
  return (origin, cb) => {
    if (!origin) return cb(null, false);
    if (allowed.has(origin) || (!config.isProduction && localhost.test(origin))) return cb(null, origin);
    return cb(null, false);
  };
}

export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'x-admin-key',
  'x-request-id',
  'x-csrf-token',
  ...PROXY_CONTROL_HEADERS,
];
export const CORS_EXPOSED_HEADERS = [
  'x-request-id',
  'x-next-cursor',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ailink-overhead-ms',
  'x-ailink-cb-state',
  'x-ailink-cache',
  'x-ailink-approval-id',
  'x-ailink-budget-remaining',
];
