import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ErrorCode, envelope } from '@ailink/gateway-core';
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

/**
 * Serves the built portal for GET/HEAD requests without a virtual token outside the reserved
 * prefixes: the static file if it exists (the file list is read once at boot), else index.html.
 * Everything else that no route matched answers 404 (or 405 for a known management path) in the
 * documented error envelope. The catch-all proxy (route family 8) will take those requests later.
 */
export async function registerPortalAndFallback(
  fastify: FastifyInstance,
  portalDir: string,
  routes: ManagementRouteIndex,
  logger: Logger,
): Promise<void> {
  const hasPortal = existsSync(join(portalDir, 'index.html'));
  const files = hasPortal ? listFiles(portalDir) : new Set<string>();
  if (hasPortal) {
    await fastify.register(fastifyStatic, { root: portalDir, serve: false });
    logger.info({ portal_dir: portalDir }, 'Serving the portal');
  } else {
    logger.warn({ portal_dir: portalDir }, 'Portal build not found: the portal is not served (run `npm run build`)');
  }

  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0];
    const allowed = routes.allowedMethods(path);
    if (allowed.length && !allowed.includes(request.method)) {
      const body = envelope(ErrorCode.MethodNotAllowed, `Method ${request.method} is not allowed on this path`, request.id);
      return reply.status(405).header('allow', allowed.join(', ')).header('cache-control', 'no-store').send(body.body);
    }
    const body = envelope(ErrorCode.NotFound, 'Not found', request.id);
    return reply.status(404).header('cache-control', 'no-store').send(body.body);
  };

  const portal = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = decodeURIComponent(request.url.split('?')[0]);
    if (!hasPortal || isNonPortalPath(path) || carriesVirtualToken(request)) return notFound(request, reply);
    if (files.has(path) && path !== '/index.html') {
      const immutable = /-[0-9A-Z]{8}\.(js|css|woff2?)$/.test(path); // Angular output-hashed names
      return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(path.slice(1));
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
  };
  fastify.route({ method: ['GET', 'HEAD'], url: '/*', handler: portal });
  // Unknown management paths for every other method; Nest's own not-found handler (→ the global
  // filter → 404 envelope) covers the rest.
  fastify.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/api/*', handler: notFound });
}
