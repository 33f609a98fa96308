import { SetMetadata } from '@nestjs/common';
import type { Principal } from '../auth/principal';

/** Metadata key of {@link AdminAuditSnapshot} (read by the admin-audit library through Nest discovery). */
export const ADMIN_AUDIT_SNAPSHOT = 'ailink:admin-audit-snapshot';
/** Metadata key of {@link SkipAdminAudit}. */
export const ADMIN_AUDIT_SKIP = 'ailink:admin-audit-skip';

/**
 * Which routes a snapshot provider describes (management-api.md "Admin audit trail"). Route patterns
 * are relative to `/api/v1`, written as the controllers register them (`/tokens/:id`). A pattern
 * without a parameter is the collection: a POST there creates the resource and the response's `id`
 * names it.
 */
export interface AdminAuditSnapshotOptions {
  /** The `resource_kind` recorded for these routes, e.g. `token`. */
  readonly kind: string;
  /** Route patterns whose resource this provider describes, e.g. `['/tokens', '/tokens/:id']`. */
  readonly routes: readonly string[];
  /** The path parameter holding the resource id (default `id`). */
  readonly param?: string;
}

/**
 * Opt-in provider of a resource's "before"/"after" snapshot for the admin audit trail: the
 * resource's API representation as `principal` may see it (never a secret), or null when it does
 * not exist or is not visible to the caller. It is called right before a write (before) and right
 * after it succeeded (after), so it should be one read by primary key. Feature libraries implement
 * it next to their service, decorate the class with {@link AdminAuditSnapshot} and list it in their
 * module's providers; the admin-audit library finds it through Nest discovery (no import between
 * features).
 */
export interface AdminAuditSnapshotProvider {
  snapshot(principal: Principal, id: string): Promise<object | null>;
}

/** Registers a class implementing {@link AdminAuditSnapshotProvider} for the given routes. */
export const AdminAuditSnapshot = (options: AdminAuditSnapshotOptions): ClassDecorator => SetMetadata(ADMIN_AUDIT_SNAPSHOT, options);

/**
 * Marks a POST route that changes nothing (a validation, a connection test, a render) so that the
 * admin audit trail does not record it. Writes are recorded by default.
 */
export const SkipAdminAudit = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_AUDIT_SKIP, true);
