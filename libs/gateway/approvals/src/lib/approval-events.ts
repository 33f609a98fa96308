import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ApprovalDecidedDetails, ApprovalRequestedDetails } from '@ailink/shared-contracts';
import { LOGGER } from '@ailink/gateway-core';
import { EventBus } from '@ailink/gateway-events';
import type { ApprovalRow } from './approvals.repository';

/**
 * The approval events (approvals-webhooks-anomalies.md §2): `approval_requested` when an approval is
 * created, `approval_decided` for every decision. Emitting never throws (a failure is logged): the
 * decision or the held request must not fail because of it.
 */
@Injectable()
export class ApprovalEvents {
  constructor(
    private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  requested(row: ApprovalRow, tokenName: string | null): void {
    const summary = row.request_summary;
    const details: ApprovalRequestedDetails = {
      approval_id: row.id,
      mode: row.mode,
      method: summary.method,
      path: summary.path,
      agent: summary.agent,
      upstream: summary.upstream,
      model: summary.model,
      expires_at: row.expires_at.toISOString(),
      body_preview: summary.body_preview,
    };
    try {
      this.bus.emit('approval_requested', { project_id: row.project_id, token_id: row.token_id, token_name: tokenName, details });
    } catch (error) {
      this.logger.warn({ err: error, approval_id: row.id }, 'Could not emit approval_requested');
    }
  }

  decided(row: ApprovalRow, details: Omit<ApprovalDecidedDetails, 'approval_id'>, tokenName: string | null = null): void {
    try {
      this.bus.emit('approval_decided', {
        project_id: row.project_id,
        token_id: row.token_id,
        token_name: tokenName,
        details: { approval_id: row.id, ...details },
      });
    } catch (error) {
      this.logger.warn({ err: error, approval_id: row.id }, 'Could not emit approval_decided');
    }
  }
}
