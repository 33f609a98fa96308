import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, envelope, toErrorResponse } from '@ailink/gateway-core';
import type { ProxyHandler } from '@ailink/gateway-proxy';
import type { ManagementRouteIndex } from './management-route-index';

/** Paths that never fall back to the portal (spec README: route families 2–6 and 8). */
const NON_PORTAL_PREFIXES = ['/api', '/v1', '/anthropic', '/gemini', '/integrations'];
const VIRTUAL_TOKEN = /ailink_v1_/;

/** Route family 7 applies only to requests that carry no virtual token. */
export function carriesVirtualToken(request: FastifyRequest): boolean {
  const h = request.headers;
  if (typeof h.authorization === 'string' && /^bearer\s+ailink_v1_/i.test(h.authorization)) return true;
  if (typeof h['x-api-key'] === 'string' && VIRTUAL_TOKEN.test(h['x-api-key'])) return true;
  if (typeof h['x-goog-api-key'] === 'string' && VIRTUAL_TOKEN.test(h['x-goog-api-key'])) return true;
  return /[?&]key=ailink_v1_/.test(request.url);
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
  options: { portalDir: string; maxBodyBytes: number; routes: ManagementRouteIndex; proxy: ProxyHandler; logger: Logger },
): Promise<void> {
  const { portalDir, routes, proxy, logger } = options;
  const hasPortal = existsSync(join(portalDir, 'index.html'));
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
        return proxy.handle(request, reply, 'service', { serviceName: name, upstreamPath: '/' + (rest ?? '') });
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
        return proxy.handle(request, reply, 'catch_all');
      },
    });
  });
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
