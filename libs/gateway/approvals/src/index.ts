export { ApprovalsModule, APPROVALS_ENTITIES } from './lib/approvals.module';
export { ApprovalStage, ApprovalConsumeStage, ASYNC_RETRY_AFTER_SECS, idempotencyKeyOf } from './lib/approval.stage';
export { ApprovalsService, toApprovalResponse, reviewerOf } from './lib/approvals.service';
export { ApprovalSignals, approvalChannel } from './lib/approval-signals';
export type { WaitOutcome, WaitTimings } from './lib/approval-signals';
export { ApprovalExpiryJob, APPROVAL_EXPIRY_QUEUE, APPROVAL_EXPIRY_LOCK_KEY } from './lib/approval-expiry.job';
export { ApprovalGate } from './lib/approval-gate';
export type { ApprovalRequest, ApprovalResolution } from './lib/approval-gate';
export { ApprovalsRepository } from './lib/approvals.repository';
export type { ApprovalRow } from './lib/approvals.repository';
export { ApprovalBodyScrubber, DefaultApprovalBodyScrubber } from './lib/body-scrubber';
export {
  bodyDigest,
  derivedIdempotencyKey,
  bindingMatches,
  parseDurationSecs,
  timeoutSecsFor,
  normaliseDecision,
  pendingApprovalAction,
  requirementOf,
  APPROVED_WINDOW_SECS,
  BODY_PREVIEW_CHARS,
} from './lib/approval-binding';
export type { ApprovalRequirement, RequestBinding } from './lib/approval-binding';
export { ApprovalRequestEntity } from './lib/entities/approval-request.entity';
