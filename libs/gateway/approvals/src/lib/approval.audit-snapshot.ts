import { Injectable } from '@nestjs/common';
import type { Approval } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { ApprovalsService } from './approvals.service';

/** Before/after snapshots of an approval for the admin audit trail (the decision routes). */
@Injectable()
@AdminAuditSnapshot({ kind: 'approval', routes: ['/approvals/:id/decision', '/approvals/:id/decide'] })
export class ApprovalAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly approvals: ApprovalsService) {}

  snapshot(principal: Principal, id: string): Promise<Approval> {
    return this.approvals.get(principal, id);
  }
}
