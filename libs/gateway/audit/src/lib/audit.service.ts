import { Injectable } from '@nestjs/common';
import type { AuditDetail, AuditSummary } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, publicTokenId, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import { decodeCursor, encodeCursor } from './audit-cursor';
import { type AuditFilter, parseStatusFilter } from './audit-filter';
import { AUDIT_DEFAULT_LIMIT, type AuditListQueryDto, type AuditStreamQueryDto } from './audit.dto';
import { detailOfRow, summaryOfRow } from './audit.mapper';
import { AuditRepository, type AuditRecordScope } from './audit.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** RFC 3339 date-time with an offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export interface AuditPage {
  items: AuditSummary[];
  /** Opaque cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

/** The rules of reading the audit trail (audit-and-observability.md §5). */
@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    private readonly projects: ProjectScope,
  ) {}

  async list(principal: Principal, query: AuditListQueryDto): Promise<AuditPage> {
    if (query.cursor !== undefined && query.offset !== undefined) {
      throw new GatewayError(ErrorCode.BadRequest, 'Use either cursor or offset, not both');
    }
    const cursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) throw new GatewayError(ErrorCode.BadRequest, 'cursor is not valid');
    const from = query.from === undefined ? undefined : timestamp(query.from, '$.from');
    const to = query.to === undefined ? undefined : timestamp(query.to, '$.to');
    if (from && to && from.getTime() > to.getTime()) {
      throw GatewayError.validation([{ path: '$.to', message: 'to must not be earlier than from' }]);
    }
    const filter = await this.filter(principal, query);
    filter.from = from;
    filter.to = to;
    const limit = query.limit ?? AUDIT_DEFAULT_LIMIT;
    const rows = await this.repository.list(filter, { limit: limit + 1, offset: query.offset ?? 0, cursor });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(summaryOfRow),
      nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at_us, id: last.id }) : null,
    };
  }

  /**
   * One record with its detail. With `project_id` it must be in that project; without, in any
   * project of the caller's organisation. Otherwise 404, exactly like an unknown id.
   */
  async get(principal: Principal, id: string, projectId?: string): Promise<AuditDetail> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'The audit record id must be a UUID');
    let scope: AuditRecordScope;
    if (projectId !== undefined) scope = { projectId: await this.projects.resolve(principal, projectId) };
    else scope = principal.role === 'superadmin' ? { anyProject: true } : { orgId: principal.orgId };
    const row = await this.repository.findDetail(id.toLowerCase(), scope);
    if (!row) throw GatewayError.notFound('Audit record');
    return detailOfRow(row);
  }

  /** Validated filters of a stream (the project resolved in the caller's organisation). */
  streamFilter(principal: Principal, query: AuditStreamQueryDto): Promise<AuditFilter> {
    return this.filter(principal, query);
  }

  private async filter(principal: Principal, query: AuditStreamQueryDto): Promise<AuditFilter> {
    const problems: { path: string; message: string }[] = [];
    const filter: AuditFilter = { projectId: '' };
    if (query.token_id !== undefined && query.token_id !== '') {
      filter.tokenId = query.token_id.startsWith('ailink_v1_') ? publicTokenId(query.token_id) : query.token_id;
    }
    const statusParam = query.status !== undefined ? 'status' : 'upstream_status';
    const status = query.status ?? query.upstream_status;
    if (status !== undefined) {
      const range = parseStatusFilter(status);
      if (range) filter.status = range;
      else problems.push({ path: `$.${statusParam}`, message: `${statusParam} must be a status code (100–599) or a class such as 2xx` });
    }
    if (query.policy_result !== undefined) filter.policyResult = query.policy_result;
    if (query.model !== undefined && query.model !== '') filter.model = query.model;
    if (query.session_id !== undefined && query.session_id !== '') filter.sessionId = query.session_id;
    if (query.method !== undefined) {
      if (/^[A-Za-z]{1,16}$/.test(query.method)) filter.method = query.method.toUpperCase();
      else problems.push({ path: '$.method', message: 'method must be an HTTP method such as GET or POST' });
    }
    if (query.path !== undefined && query.path !== '') {
      if (query.path.startsWith('/')) filter.pathPrefix = query.path;
      else problems.push({ path: '$.path', message: 'path must be a path prefix starting with /' });
    }
    if (problems.length > 0) throw GatewayError.validation(problems);
    filter.projectId = await this.projects.resolve(principal, query.project_id);
    return filter;
  }
}

function timestamp(text: string, path: string): Date {
  const ms = RFC3339.test(text) ? Date.parse(text.replace(' ', 'T')) : Number.NaN;
  if (Number.isNaN(ms)) throw GatewayError.validation([{ path, message: `${path.slice(2)} must be an RFC 3339 date-time` }]);
  return new Date(ms);
}
