import type { AppConfig } from '../config/app-config';
import { CORS_EXPOSED_HEADERS, corsOriginChecker, lifecycle, securityHeaders } from './http-hooks';

/** Builds the headers every response carries, for a request id and the request's `Origin`. */
export type BaseResponseHeaders = (requestId: string, origin: string | undefined) => Record<string, string>;

/**
 * The headers Fastify's hooks put on every response (request id, security headers, CORS for allowed
 * origins, `connection: close` while draining), for the routes served straight from node:http —
 * the proxy routes, which skip Fastify for speed. A fresh object per call: callers add to it.
 */
export function baseResponseHeaders(config: Pick<AppConfig, 'portalOrigins' | 'isProduction'>): BaseResponseHeaders {
  const security = securityHeaders(config);
  const exposed = CORS_EXPOSED_HEADERS.join(',');
  const check = corsOriginChecker(config);
  return (requestId, origin) => {
    const headers: Record<string, string> = { 'x-request-id': requestId, ...security };
    if (origin !== undefined) {
      check(origin, (_err, allow) => {
        if (typeof allow === 'string') {
          headers['access-control-allow-origin'] = allow;
          headers['access-control-allow-credentials'] = 'true';
          headers['access-control-expose-headers'] = exposed;
          headers['vary'] = 'Origin';
        }
      });
    }
    if (lifecycle.draining) headers['connection'] = 'close';
    return headers;
  };
}
