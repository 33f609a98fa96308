import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Logger } from 'pino';
import { ADMIN_AUDIT_SNAPSHOT, LOGGER, type AdminAuditSnapshotOptions, type AdminAuditSnapshotProvider } from '@ailink/gateway-core';

/** What the registry knows about one route pattern (relative to `/api/v1`). */
export interface SnapshotRegistration {
  readonly kind: string;
  /** Path parameter naming the resource; null for a collection route (the response's `id` names it). */
  readonly param: string | null;
  readonly provider: AdminAuditSnapshotProvider;
}

function isProvider(value: unknown): value is AdminAuditSnapshotProvider {
  return typeof value === 'object' && value !== null && typeof (value as { snapshot?: unknown }).snapshot === 'function';
}

/** `/tokens/:id/` → `/tokens/:id`. */
function normalizeRoute(route: string): string {
  const trimmed = `/${route}`.replace(/\/+/g, '/').replace(/\/$/, '');
  return trimmed === '' ? '/' : trimmed;
}

/**
 * The snapshot providers of every feature, keyed by route pattern: every provider class decorated
 * with `@AdminAuditSnapshot({kind, routes})` (from `@ailink/gateway-core`), found once through Nest
 * discovery. Features never import this library, nor it them.
 */
@Injectable()
export class AdminAuditSnapshotRegistry {
  private readonly byRoute = new Map<string, SnapshotRegistration>();
  private loaded = false;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The registration for a route pattern (relative to `/api/v1`), if a provider describes it. */
  match(route: string): SnapshotRegistration | undefined {
    this.load();
    return this.byRoute.get(normalizeRoute(route));
  }

  /**
   * The closest enclosing resource a provider describes, for a route no provider describes itself:
   * `/tokens/:id/spend/:period` → the `token` registration of `/tokens/:id`. Used to file such a
   * write under the right project and organisation (its snapshot is not stored).
   */
  matchParent(route: string): SnapshotRegistration | undefined {
    this.load();
    const segments = normalizeRoute(route).split('/');
    for (let end = segments.length - 1; end > 1; end--) {
      const found = this.byRoute.get(segments.slice(0, end).join('/'));
      if (found?.param) return found;
    }
    return undefined;
  }

  /** Every registered route, for diagnostics and tests. */
  routes(): Map<string, SnapshotRegistration> {
    this.load();
    return new Map(this.byRoute);
  }

  /** Registers a provider by hand (what discovery does for decorated classes). */
  register(options: AdminAuditSnapshotOptions, provider: AdminAuditSnapshotProvider): void {
    const param = options.param ?? 'id';
    for (const raw of options.routes) {
      const route = normalizeRoute(raw);
      if (this.byRoute.has(route)) {
        this.logger.warn({ route, kind: options.kind }, 'Admin audit: two snapshot providers claim one route; the first one is kept');
        continue;
      }
      const hasParam = route.split('/').includes(`:${param}`);
      this.byRoute.set(route, { kind: options.kind, param: hasParam ? param : null, provider });
    }
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    for (const wrapper of this.discovery.getProviders()) {
      const type = wrapper.metatype as unknown;
      if (typeof type !== 'function' || !wrapper.instance) continue;
      const options = Reflect.getMetadata(ADMIN_AUDIT_SNAPSHOT, type) as AdminAuditSnapshotOptions | undefined;
      if (!options) continue;
      if (!isProvider(wrapper.instance)) {
        this.logger.warn({ provider: (type as { name?: string }).name }, 'Admin audit: a snapshot provider has no snapshot() method');
        continue;
      }
      this.register(options, wrapper.instance);
    }
  }
}
