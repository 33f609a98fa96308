import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPVersion, type Instance } from 'find-my-way';

/**
 * Remembers which methods each management path accepts, so that a known path called with the
 * wrong method answers 405 with an `Allow` header instead of 404.
 */
export class ManagementRouteIndex {
  private readonly byMethod = new Map<string, Instance<HTTPVersion.V1>>();
  private readonly methods = new Set<string>();

  attach(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/api/v1/')) return;
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        let router = this.byMethod.get(method);
        if (!router) {
          router = FindMyWay();
          this.byMethod.set(method, router);
          this.methods.add(method);
        }
        if (!router.find('GET', route.url)) router.on('GET', route.url, () => undefined);
      }
    });
  }

  allowedMethods(path: string): string[] {
    if (!path.startsWith('/api/v1/')) return [];
    return [...this.methods].filter((method) => this.byMethod.get(method)?.find('GET', path));
  }
}
