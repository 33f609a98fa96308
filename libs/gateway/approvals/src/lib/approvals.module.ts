import { Module } from '@nestjs/common';
import { EventsModule } from '@ailink/gateway-events';
import { ApprovalAuditSnapshot } from './approval.audit-snapshot';
import { ApprovalEvents } from './approval-events';
import { ApprovalExpiryJob } from './approval-expiry.job';
import { ApprovalGate } from './approval-gate';
import { ApprovalSignals } from './approval-signals';
import { ApprovalConsumeStage, ApprovalStage } from './approval.stage';
import { ApprovalBodyScrubber, DefaultApprovalBodyScrubber } from './body-scrubber';
import { ApprovalsController } from './approvals.controller';
import { ApprovalsRepository } from './approvals.repository';
import { ApprovalsService } from './approvals.service';
import { ApprovalsStreamService } from './approvals-stream.service';
import { ApprovalRequestEntity } from './entities/approval-request.entity';

/**
 * Human-in-the-loop approvals: the Management API under `/api/v1/approvals`, the proxy stages
 * (`ApprovalStage` at proxy.md §7 step 11, `ApprovalConsumeStage` at step 16), cross-instance decision
 * signals, the expiry job and the approval events. Needs the global `KeyValueStore`, `QueueFactory`,
 * `ProjectScope` (database) and `LOGGER`/`AppConfig` (core).
 */
@Module({
  imports: [EventsModule],
  controllers: [ApprovalsController],
  providers: [
    ApprovalsRepository,
    ApprovalsService,
    ApprovalGate,
    ApprovalSignals,
    ApprovalEvents,
    ApprovalsStreamService,
    ApprovalExpiryJob,
    ApprovalStage,
    ApprovalConsumeStage,
    ApprovalAuditSnapshot,
    { provide: ApprovalBodyScrubber, useClass: DefaultApprovalBodyScrubber },
  ],
  exports: [ApprovalStage, ApprovalConsumeStage, ApprovalsService, ApprovalSignals],
})
export class ApprovalsModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const APPROVALS_ENTITIES = [ApprovalRequestEntity];
