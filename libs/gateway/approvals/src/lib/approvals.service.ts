import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Approval, ApprovalDecisionResponse } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, LOGGER, publicTokenId, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import { normaliseDecision } from './approval-binding';
import { ApprovalEvents } from './approval-events';
import { ApprovalSignals } from './approval-signals';
import type { DecideApprovalDto, ListApprovalsQueryDto } from './approvals.dto';
import { ApprovalsRepository, type ApprovalRow } from './approvals.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_LIMIT = 50;

/** The Approval record (approvals-webhooks-anomalies.md "Approval record"). */
export function toApprovalResponse(row: ApprovalRow): Approval {
  return {
    id: row.id,
    token_id: row.token_id,
    project_id: row.project_id,
    idempotency_key: row.idempotency_key,
    policy_id: row.policy_id,
    policy_version: row.policy_version,
    mode: row.mode,
    request_method: row.request_method,
    request_path: row.request_path,
    body_digest: row.body_digest,
    request_summary: row.request_summary,
    status: row.status,
    reviewed_by: row.reviewed_by,
    decision_channel: row.decision_channel,
    decision_comment: row.decision_comment,
    reviewed_at: iso(row.reviewed_at),
    expires_at: row.expires_at.toISOString(),
    approved_until: iso(row.approved_until),
    consumed_at: iso(row.consumed_at),
    fallback: row.fallback,
    routing_choices: row.routing_choices,
    created_at: row.created_at.toISOString(),
  };
}

function iso(value: Date | null): string | null {
  return value === null ? null : value.toISOString();
}

/** Who decided: the user, else the API key, else the authentication method (the super-admin key). */
export function reviewerOf(principal: Principal): string {
  return principal.userId ?? principal.keyId ?? principal.authMethod;
}

/**
 * The approvals of the Management API (management-api.md "Approvals"): listing and reading within
 * the caller's organisation (another organisation's approval is 404), and decisions. A decision
 * changes only a pending, unexpired approval; repeating it (or deciding a decided one) answers
 * `updated: false` with the current status. Every decision is signalled on `ailink:hitl:{id}` to the
 * requests waiting for it on any instance, and emitted as `approval_decided`.
 */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly repository: ApprovalsRepository,
    private readonly scope: ProjectScope,
    private readonly signals: ApprovalSignals,
    private readonly events: ApprovalEvents,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async list(principal: Principal, query: ListApprovalsQueryDto): Promise<Approval[]> {
    const projectId = await this.scope.resolve(principal, query.project_id);
    const tokenId = query.token_id?.trim();
    const rows = await this.repository.list({
      projectId,
      status: query.status,
      tokenId: tokenId ? (tokenId.startsWith('ailink_v1_') ? publicTokenId(tokenId) : tokenId) : undefined,
      limit: query.limit ?? DEFAULT_LIMIT,
      offset: query.offset ?? 0,
    });
    return rows.map(toApprovalResponse);
  }

  async get(principal: Principal, id: string): Promise<Approval> {
    return toApprovalResponse(await this.findVisible(principal, id));
  }

  async decide(principal: Principal, id: string, dto: DecideApprovalDto): Promise<ApprovalDecisionResponse> {
    const decision = normaliseDecision(dto.decision);
    if (!decision) {
      throw new GatewayError(ErrorCode.BadRequest, 'decision must be one of approved, approve, rejected, reject', {
        details: { errors: [{ path: '$.decision', message: 'must be one of approved, approve, rejected, reject' }] },
      });
    }
    const current = await this.findVisible(principal, id);
    const reviewer = reviewerOf(principal);
    const decided = await this.repository.decide(current.id, {
      status: decision,
      reviewedBy: reviewer,
      channel: 'api',
      comment: dto.comment ?? null,
    });
    if (decided) {
      this.logger.info({ approval_id: decided.id, decision, decided_by: reviewer }, 'Approval decided');
      await this.signals.signal(decided.id, decided.status);
      const tokenName = await this.repository.tokenName(decided.token_id).catch(() => null);
      this.events.decided(decided, { decision, decided_by: reviewer, channel: 'api' }, tokenName);
      return { id: decided.id, status: decided.status, updated: true };
    }
    // Not pending any more: the current status. A pending one past `expires_at` is expired now.
    const expired = await this.repository.expireIfDue(current.id);
    if (expired) await this.signals.signal(expired.id, 'expired');
    const latest = expired ?? (await this.repository.byId(current.id)) ?? current;
    return { id: latest.id, status: latest.status, updated: false };
  }

  private async findVisible(principal: Principal, id: string): Promise<ApprovalRow> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'The approval id must be a UUID');
    const row = await this.repository.findInOrg(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('Approval');
    return row;
  }
}
