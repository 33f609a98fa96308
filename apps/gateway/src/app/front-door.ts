import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, envelope, toErrorResponse } from '@ailink/gateway-core';
import type { ProxyHandler, ProxyRequest } from '@ailink/gateway-proxy';
import type { ManagementRouteIndex } from './management-route-index';

/** Paths that never fall back to the portal (spec README: route families 2–6 and 8). */
const NON_PORTAL_PREFIXES = ['/api', '/v1', '/anthropic', '/gemini', '/integrations'];
const VIRTUAL_TOKEN = /ailink_v1_/;

/** Route family 7 applies only to requests that carry no virtual token. */
export function carriesVirtualToken(request: { headers: IncomingHttpHeaders; url?: string }): boolean {
  const h = request.headers;
  if (typeof h.authorization === 'string' && /^bearer\s+ailink_v1_/i.test(h.authorization)) return true;
  if (typeof h['x-api-key'] === 'string' && VIRTUAL_TOKEN.test(h['x-api-key'])) return true;
  if (typeof h['x-goog-api-key'] === 'string' && VIRTUAL_TOKEN.test(h['x-goog-api-key'])) return true;
  return /[?&]key=ailink_v1_/.test(request.url ?? '');
}

/** Where a request goes: Fastify (management API, operations, portal, CORS preflights) or a proxy route. */
export type FrontDoorRoute = { kind: 'fastify' } | { kind: 'catch_all' } | { kind: 'service'; name: string; rest: string };

const FASTIFY: FrontDoorRoute = { kind: 'fastify' };
const CATCH_ALL: FrontDoorRoute = { kind: 'catch_all' };
const OPERATIONS = new Set(['/healthz', '/readyz', '/metrics']);
const SERVICE_PREFIX = '/v1/proxy/services/';

/**
 * The spec's route precedence (README, route families), decided on the raw request before Fastify:
 * the proxy families are served straight from node:http by the proxy handler (no framework work on
 * the hot path); everything else goes to Fastify/Nest. Preflights (`OPTIONS` with
 * `Access-Control-Request-Method`) belong to CORS; any other `OPTIONS` carrying a virtual token is
 * proxied like the other methods.
 */
export function classifyRequest(method: string, url: string, headers: IncomingHttpHeaders, hasPortal: boolean): FrontDoorRoute {
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  if (method === 'OPTIONS') {
    return headers['access-control-request-method'] === undefined && carriesVirtualToken({ headers, url }) ? routeOf(path) : FASTIFY;
  }
  if (!PROXY_METHODS.includes(method)) return FASTIFY;
  if (path === '/api' || path.startsWith('/api/') || path.startsWith('/integrations/')) return FASTIFY;
  if (method === 'GET' || method === 'HEAD') {
    if (OPERATIONS.has(path)) return FASTIFY;
    if (hasPortal && !isNonPortalPath(path) && !carriesVirtualToken({ headers, url })) return FASTIFY;
  }
  return routeOf(path);
}

function routeOf(path: string): FrontDoorRoute {
  if (path.startsWith(SERVICE_PREFIX)) {
    const slash = path.indexOf('/', SERVICE_PREFIX.length);
    if (slash > SERVICE_PREFIX.length) {
      const name = safeDecode(path.slice(SERVICE_PREFIX.length, slash));
      if (name.length <= 500) return { kind: 'service', name, rest: path.slice(slash) };
    }
  }
  return CATCH_ALL;
}

/**
 * The node:http request listener in front of Fastify (installed with Fastify's `serverFactory`):
 * proxy traffic goes to the proxy handler directly, the rest to Fastify. The handler is attached
 * once the Nest application exists; until then every request goes to Fastify.
 */
export class FrontDoorDispatcher {
  private proxy?: ProxyHandler;
  private hasPortal = false;

  attach(proxy: ProxyHandler, hasPortal: boolean): void {
    this.proxy = proxy;
    this.hasPortal = hasPortal;
  }

  listener(fastify: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const proxy = this.proxy;
      if (!proxy) return fastify(req, res);
      const route = classifyRequest(req.method ?? 'GET', req.url ?? '/', req.headers, this.hasPortal);
      if (route.kind === 'fastify') return fastify(req, res);
      if (route.kind === 'service') return proxy.serve(req, res, 'service', { serviceName: route.name, upstreamPath: route.rest });
      return proxy.serve(req, res, 'catch_all');
    };
  }
}

function isNonPortalPath(path: string): boolean {
  return NON_PORTAL_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix + '/'));
}

function listFiles(root: string): Set<string> {
  const files = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.add('/' + relative(root, full).split(sep).join('/'));
    }
  };
  walk(root);
  return files;
}

/** Every method the catch-all proxy answers (OPTIONS belongs to the CORS layer's preflight route). */
const PROXY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The routes after the Management API, in the spec's precedence (README, route families):
 * unknown `/api/*` → 404/405 in the error envelope; `/v1/proxy/services/{name}/…` → service proxy;
 * GET/HEAD without a virtual token outside the reserved prefixes → the portal (static file, else
 * index.html; the file list is read once at boot); everything else → the catch-all proxy.
 * Proxy routes get the body as raw bytes (forwarded byte for byte unless a stage rewrites JSON).
 */
export async function registerFrontDoor(
  fastify: FastifyInstance,
  options: {
    portalDir: string;
    maxBodyBytes: number;
    routes: ManagementRouteIndex;
    proxy: ProxyHandler;
    logger: Logger;
    dispatcher?: FrontDoorDispatcher;
  },
): Promise<void> {
  const { portalDir, routes, proxy, logger } = options;
  const hasPortal = existsSync(join(portalDir, 'index.html'));
  options.dispatcher?.attach(proxy, hasPortal);
  const files = hasPortal ? listFiles(portalDir) : new Set<string>();
  if (hasPortal) {
    await fastify.register(fastifyStatic, { root: portalDir, serve: false });
    logger.info({ portal_dir: portalDir }, 'Serving the portal');
  } else {
    logger.warn({ portal_dir: portalDir }, 'Portal build not found: the portal is not served (run `npm run build`)');
  }

  const managementMiss = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0];
    const allowed = routes.allowedMethods(path);
    if (allowed.length && !allowed.includes(request.method)) {
      const body = envelope(ErrorCode.MethodNotAllowed, `Method ${request.method} is not allowed on this path`, request.id);
      return reply.status(405).header('allow', allowed.join(', ')).header('cache-control', 'no-store').send(body.body);
    }
    const body = envelope(ErrorCode.NotFound, 'Not found', request.id);
    return reply.status(404).header('cache-control', 'no-store').send(body.body);
  };

  const servePortal = (request: FastifyRequest, reply: FastifyReply, path: string): FastifyReply => {
    if (files.has(path) && path !== '/index.html') {
      const immutable = /-[0-9A-Z]{8}\.(js|css|woff2?)$/.test(path); // Angular output-hashed names
      return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(path.slice(1));
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  };

  // Errors raised by Fastify itself on these routes (body parsing, limits) get the error envelope too.
  const errorHandler = (error: Error, request: FastifyRequest, reply: FastifyReply): void => {
    const response = toErrorResponse(error, request.id);
    if (response.unexpected) logger.error({ err: error }, 'Unhandled error');
    void reply.status(response.status).headers(response.headers).header('cache-control', 'no-store').send(response.body);
  };

  // Unknown management paths for write methods: JSON bodies are parsed (and malformed or oversize
  // ones refused) exactly as on the real management routes.
  await fastify.register(async (scope) => {
    scope.setErrorHandler(errorHandler);
    scope.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/*', handler: managementMiss });
  });

  await fastify.register(async (scope) => {
    scope.setErrorHandler(errorHandler);
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.maxBodyBytes }, (_request, body, done) => done(null, body));

    scope.route({
      method: PROXY_METHODS,
      url: '/v1/proxy/services/:name/*',
      handler: (request, reply) => {
        const { name, '*': rest } = request.params as { name: string; '*': string };
        reply.hijack();
        return proxy.handle(proxyRequestOf(request), reply.raw, 'service', { serviceName: name, upstreamPath: '/' + (rest ?? '') });
      },
    });

    scope.route({
      method: PROXY_METHODS,
      url: '/*',
      handler: (request, reply) => {
        const path = request.url.split('?')[0];
        if (path === '/api' || path.startsWith('/api/') || path.startsWith('/integrations/')) return managementMiss(request, reply);
        if (
          (request.method === 'GET' || request.method === 'HEAD') &&
          hasPortal &&
          !isNonPortalPath(path) &&
          !carriesVirtualToken(request)
        ) {
          return servePortal(request, reply, safeDecode(path));
        }
        reply.hijack();
        return proxy.handle(proxyRequestOf(request), reply.raw, 'catch_all');
      },
    });
  });
}

/**
 * Proxy requests reach these Fastify routes only when the front-door dispatcher is not in front
 * (e.g. `fastify.inject` in tests); the handler then answers on the raw response like on the fast path.
 */
function proxyRequestOf(request: FastifyRequest): ProxyRequest {
  const body = Buffer.isBuffer(request.body) && request.body.length > 0 ? request.body : undefined;
  return { id: request.id, method: request.method, url: request.url, headers: request.headers, ip: request.ip, body };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
