import { Injectable } from '@nestjs/common';
import type { AdminAuditEntry } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, redactVirtualTokens, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import { decodeAdminAuditCursor, encodeAdminAuditCursor } from './admin-audit-cursor';
import { entryOfRow } from './admin-audit-record';
import { ADMIN_AUDIT_DEFAULT_LIMIT, type AdminAuditListQueryDto } from './admin-audit.dto';
import { AdminAuditRepository, type AdminAuditFilter } from './admin-audit.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 3339 date-time with an offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export interface AdminAuditPage {
  items: AdminAuditEntry[];
  /** Opaque cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

function timestamp(text: string, path: string): Date {
  const ms = RFC3339.test(text) ? Date.parse(text.replace(' ', 'T')) : Number.NaN;
  if (Number.isNaN(ms)) throw GatewayError.validation([{ path, message: `${path.slice(2)} must be an RFC 3339 date-time` }]);
  return new Date(ms);
}

/**
 * Reading the admin audit trail (`GET /audit/admin`, `GET /audit/admin/{id}`): organisation-scoped.
 * A caller sees its own organisation's writes; only the super-admin may name another organisation
 * (`org_id`), and anyone else naming one gets 404, exactly as for an unknown one.
 */
@Injectable()
export class AdminAuditService {
  constructor(
    private readonly repository: AdminAuditRepository,
    private readonly projects: ProjectScope,
  ) {}

  async list(principal: Principal, query: AdminAuditListQueryDto): Promise<AdminAuditPage> {
    if (query.cursor !== undefined && query.offset !== undefined) {
      throw new GatewayError(ErrorCode.BadRequest, 'Use either cursor or offset, not both');
    }
    const cursor = query.cursor === undefined ? null : decodeAdminAuditCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) throw new GatewayError(ErrorCode.BadRequest, 'cursor is not valid');
    const from = query.from === undefined ? undefined : timestamp(query.from, '$.from');
    const to = query.to === undefined ? undefined : timestamp(query.to, '$.to');
    if (from && to && from.getTime() > to.getTime()) {
      throw GatewayError.validation([{ path: '$.to', message: 'to must not be earlier than from' }]);
    }
    const filter: AdminAuditFilter = { orgId: await this.targetOrg(principal, query.org_id), from, to };
    if (query.project_id !== undefined && query.project_id !== '')
      filter.projectId = await this.projects.resolve(principal, query.project_id);
    if (query.actor) filter.actor = query.actor;
    if (query.resource_kind) filter.resourceKind = query.resource_kind;
    if (query.resource_id) filter.resourceId = redactVirtualTokens(query.resource_id);
    if (query.method) filter.method = query.method;

    const limit = query.limit ?? ADMIN_AUDIT_DEFAULT_LIMIT;
    const rows = await this.repository.list(filter, { limit: limit + 1, offset: query.offset ?? 0, cursor });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(entryOfRow),
      nextCursor: rows.length > limit && last ? encodeAdminAuditCursor({ createdAt: last.created_at_us, id: last.id }) : null,
    };
  }

  /** One entry of the caller's organisation (any organisation for the super-admin); else 404. */
  async get(principal: Principal, id: string): Promise<AdminAuditEntry> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'The admin audit entry id must be a UUID');
    const row = await this.repository.find(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('Admin audit entry');
    return entryOfRow(row);
  }

  private async targetOrg(principal: Principal, orgId: string | undefined): Promise<string> {
    if (orgId === undefined || orgId === '') return principal.orgId;
    if (!UUID.test(orgId)) throw new GatewayError(ErrorCode.BadRequest, 'org_id must be a UUID');
    const wanted = orgId.toLowerCase();
    if (wanted === principal.orgId) return wanted;
    if (principal.role !== 'superadmin' || !(await this.repository.organizationExists(wanted))) throw GatewayError.notFound('Organization');
    return wanted;
  }
}
