import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ADMIN_KEY_ACTOR, type AdminAuditMethod } from '@ailink/shared-contracts';
import { AppConfig, LOGGER, type Principal } from '@ailink/gateway-core';
import { capSnapshot, maskPath, maskSecrets, maskSecretsInText, type MaskOptions } from './admin-audit-mask';
import type { AdminAuditRecord } from './admin-audit-record';
import {
  NOT_RECORDED_ROUTES,
  RESPONSE_NOT_RECORDED_ROUTES,
  deriveResourceKind,
  isRecordedMethod,
  managementRoute,
  routeParams,
} from './admin-audit-route';
import { AdminAuditSnapshotRegistry, type SnapshotRegistration } from './admin-audit-snapshots';
import { AdminAuditWriter } from './admin-audit.writer';

/** Largest stored before/after snapshot (bytes of JSON); larger ones are replaced by a marker. */
export const MAX_SNAPSHOT_BYTES = 64 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The parts of a Fastify request the recorder reads. */
export interface RecordableRequest {
  method: string;
  url: string;
  id: string;
  routeOptions?: { url?: string };
  params?: unknown;
  query?: unknown;
  body?: unknown;
  principal?: Principal;
}

/** One write on its way: what is known before the handler runs. */
export interface AdminAuditPlan {
  readonly principal: Principal;
  readonly method: AdminAuditMethod;
  /** Full pattern, e.g. `/api/v1/tokens/:id`. */
  readonly pattern: string;
  /** Pattern relative to `/api/v1`. */
  readonly route: string;
  readonly path: string;
  readonly requestId: string;
  readonly kind: string;
  readonly registration: SnapshotRegistration | null;
  /** For a route without a provider: the enclosing resource's provider (to find the project and organisation). */
  readonly parent: SnapshotRegistration | null;
  /** Raw value of the resource's path parameter (may be a token's bearer secret: never stored as is). */
  readonly pathId: string | null;
  /** Raw value of the enclosing resource's path parameter. */
  readonly parentId: string | null;
  readonly body: unknown;
  readonly query: unknown;
  before: unknown;
}

function stringField(value: unknown, field: string): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = (value as Record<string, unknown>)[field];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

function uuidField(value: unknown, field: string): string | null {
  const v = stringField(value, field);
  return v && UUID.test(v) ? v.toLowerCase() : null;
}

function paramsOf(request: RecordableRequest): Record<string, string> {
  const params = request.params;
  if (typeof params !== 'object' || params === null) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params as Record<string, unknown>)) if (typeof value === 'string') out[key] = value;
  return out;
}

/** The project a snapshot belongs to: its `project_id`, or its own id when it is a project. */
function projectOf(snapshot: unknown, kind: string): string | null {
  return uuidField(snapshot, 'project_id') ?? (kind === 'project' ? uuidField(snapshot, 'id') : null);
}

/** Who made the write: the API key id, the user id, or `admin_key`. */
export function actorOf(principal: Principal): string {
  if (principal.authMethod === 'admin_key') return ADMIN_KEY_ACTOR;
  if (principal.authMethod === 'api_key') return principal.keyId ?? principal.userId ?? 'api_key';
  return principal.userId ?? principal.keyId ?? principal.authMethod;
}

/**
 * Builds admin audit records (management-api.md "Admin audit trail"): before the handler, the
 * resource's snapshot from its provider (one read); after a 2xx, the new snapshot (null after a
 * DELETE), or, for routes no provider describes, the masked response (else the masked request body)
 * as "after". Everything stored is masked; the record then goes to the batching writer. Failures
 * here are logged and never fail the request.
 */
@Injectable()
export class AdminAuditRecorder {
  private readonly mask: MaskOptions;

  constructor(
    private readonly registry: AdminAuditSnapshotRegistry,
    private readonly writer: AdminAuditWriter,
    config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.mask = { literals: config.adminKey ? [config.adminKey] : [] };
  }

  /** The plan for a request, or null when it is not a recorded Management API write. */
  plan(request: RecordableRequest): AdminAuditPlan | null {
    const method = request.method.toUpperCase();
    if (!isRecordedMethod(method)) return null;
    const pattern = request.routeOptions?.url;
    const route = managementRoute(pattern);
    if (!route || !pattern || NOT_RECORDED_ROUTES.has(`${method} ${route}`)) return null;
    const principal = request.principal;
    if (!principal) return null;
    const registration = this.registry.match(route) ?? null;
    const parent = registration ? null : (this.registry.matchParent(route) ?? null);
    const params = paramsOf(request);
    const names = routeParams(route);
    const paramName = registration ? registration.param : names.includes('id') ? 'id' : (names[0] ?? null);
    const pathId = paramName ? (params[paramName] ?? null) : null;
    return {
      principal,
      method,
      pattern,
      route,
      path: maskPath(request.url, this.mask),
      requestId: request.id,
      kind: registration?.kind ?? deriveResourceKind(route),
      registration,
      parent,
      parentId: parent?.param ? (params[parent.param] ?? null) : null,
      pathId,
      body: request.body,
      query: request.query,
      before: null,
    };
  }

  /** Reads the "before" snapshot (routes with a provider and a resource id in the path). */
  async captureBefore(plan: AdminAuditPlan): Promise<void> {
    if (!plan.registration || !plan.pathId) return;
    plan.before = await this.snapshot(plan.registration, plan.principal, plan.pathId);
  }

  /** Records a finished write (2xx only); never throws. */
  async record(plan: AdminAuditPlan, response: unknown, status: number): Promise<void> {
    try {
      if (status < 200 || status >= 300) return;
      const responseId = stringField(response, 'id');
      const lookupId = plan.pathId ?? responseId;
      let after: unknown = null;
      if (plan.method !== 'DELETE') {
        if (plan.registration) after = lookupId ? await this.snapshot(plan.registration, plan.principal, lookupId) : null;
        else after = this.fallbackAfter(plan, response);
      }
      const before = plan.before;
      // Routes without a provider are filed under their enclosing resource's project (e.g. a token's spend cap).
      const parent =
        plan.parent && plan.parentId
          ? { kind: plan.parent.kind, value: await this.snapshot(plan.parent, plan.principal, plan.parentId) }
          : null;
      const resourceId = stringField(after, 'id') ?? stringField(before, 'id') ?? lookupId;
      const projectId =
        projectOf(after, plan.kind) ??
        projectOf(before, plan.kind) ??
        (parent ? projectOf(parent.value, parent.kind) : null) ??
        uuidField(response, 'project_id') ??
        uuidField(plan.body, 'project_id') ??
        uuidField(plan.query, 'project_id');
      const principal = plan.principal;
      // Only the super-admin acts across organisations: its record belongs to the resource's organisation.
      const orgId =
        principal.role === 'superadmin'
          ? (uuidField(after, 'org_id') ??
            uuidField(before, 'org_id') ??
            uuidField(parent?.value, 'org_id') ??
            (projectId ? null : principal.orgId))
          : principal.orgId;
      const record: AdminAuditRecord = {
        id: randomUUID(),
        org_id: orgId,
        fallback_org_id: principal.orgId,
        project_id: projectId,
        actor: actorOf(principal),
        auth_method: principal.authMethod,
        method: plan.method,
        path: plan.path,
        route: plan.pattern,
        resource_kind: plan.kind,
        resource_id: resourceId ? maskSecretsInText(resourceId, this.mask).slice(0, 512) : null,
        status,
        request_id: plan.requestId,
        created_at: new Date().toISOString(),
        before: capSnapshot(before, MAX_SNAPSHOT_BYTES),
        after: capSnapshot(after, MAX_SNAPSHOT_BYTES),
      };
      this.writer.enqueue(record);
    } catch (error) {
      this.logger.error({ err: error, request_id: plan.requestId }, 'Admin audit: could not record a write');
    }
  }

  /** "After" of a route without a provider: the masked response, else the masked request body. */
  private fallbackAfter(plan: AdminAuditPlan, response: unknown): unknown {
    const withheld = RESPONSE_NOT_RECORDED_ROUTES.has(`${plan.method} ${plan.route}`);
    if (!withheld && typeof response === 'object' && response !== null) return maskSecrets(response, this.mask);
    if (typeof plan.body === 'object' && plan.body !== null) return maskSecrets(plan.body, this.mask);
    return null;
  }

  /** The provider's snapshot, masked (providers return API representations, but trust nothing). */
  private async snapshot(registration: SnapshotRegistration, principal: Principal, id: string): Promise<unknown> {
    try {
      const value = await registration.provider.snapshot(principal, id);
      return value === null || value === undefined ? null : maskSecrets(value, this.mask);
    } catch (error) {
      this.logger.debug({ err: error, kind: registration.kind }, 'Admin audit: snapshot unavailable');
      return null;
    }
  }
}
