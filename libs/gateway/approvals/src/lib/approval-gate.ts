import { Injectable } from '@nestjs/common';
import type { ApprovalRequestSummary } from '@ailink/shared-contracts';
import { AppConfig, ErrorCode, GatewayError } from '@ailink/gateway-core';
import { bindingMatches, type ApprovalRequirement, type RequestBinding } from './approval-binding';
import { ApprovalsRepository, type ApprovalRow, type LockedApprovalQueries } from './approvals.repository';

/** A request that needs an approval, as the proxy stage describes it. */
export interface ApprovalRequest {
  binding: RequestBinding;
  projectId: string;
  idempotencyKey: string;
  requirement: ApprovalRequirement;
  summary: ApprovalRequestSummary;
  routingChoices: Record<string, unknown> | null;
}

/**
 * Where the request stands: `pending` (wait or answer 202; `created` when this request created it),
 * `approved` (consume and forward), `rejected`, or `expired` (the fallback applies).
 */
export type ApprovalResolution =
  | { kind: 'pending'; row: ApprovalRow; created: boolean }
  | { kind: 'approved'; row: ApprovalRow }
  | { kind: 'rejected'; row: ApprovalRow }
  | { kind: 'expired'; row: ApprovalRow };

/** Unique violation on the live-key index: another instance created the approval first. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e.driverError?.code ?? e.code) === '23505';
}

/**
 * The approval rules on the proxy path (approvals-webhooks-anomalies.md §1 "Flow", "Binding",
 * "Idempotency key", "Cap"). The most recent approval for (token, key) decides: bound to another
 * request → 409 `idempotency_conflict`; consumed (or already answered) → a new one is needed;
 * pending/approved for an older policy version → marked expired and replaced; pending → wait or
 * 202; approved inside its window → forward; approved past it → expired; rejected → 403; expired →
 * the fallback. New approvals are created under the token's advisory lock, so the pending cap
 * (`AILINK_HITL_MAX_PENDING_PER_TOKEN`, 429 `approval_limit_reached`) holds across instances.
 */
@Injectable()
export class ApprovalGate {
  constructor(
    private readonly repository: ApprovalsRepository,
    private readonly config: AppConfig,
  ) {}

  async resolve(request: ApprovalRequest): Promise<ApprovalResolution> {
    const { binding, idempotencyKey } = request;
    const latest = await this.repository.latest(binding.tokenId, idempotencyKey);
    if (latest) {
      if (!bindingMatches(latest, binding)) throw conflict();
      const existing = await this.existing(latest, request);
      if (existing) return existing;
    }
    return this.create(request);
  }

  /** What an existing approval means for this request; null when a new approval is needed. */
  private async existing(row: ApprovalRow, request: ApprovalRequest): Promise<ApprovalResolution | null> {
    if (row.consumed_at !== null) return null;
    const sameVersion = row.policy_id === request.requirement.policyId && row.policy_version === request.requirement.policyVersion;
    switch (row.status) {
      case 'pending':
        if (row.expires_at.getTime() <= row.db_now.getTime()) {
          const expired = (await this.repository.expireIfDue(row.id)) ?? (await this.repository.byId(row.id));
          return expired ? this.existing(expired, request) : null;
        }
        return sameVersion ? { kind: 'pending', row, created: false } : null;
      case 'approved':
        if (!sameVersion) return null;
        if (row.approved_until && row.approved_until.getTime() > row.db_now.getTime()) return { kind: 'approved', row };
        {
          const lapsed = (await this.repository.lapse(row.id)) ?? (await this.repository.byId(row.id));
          return lapsed ? this.existing(lapsed, request) : null;
        }
      case 'rejected':
        return sameVersion ? { kind: 'rejected', row } : null;
      case 'expired':
        return sameVersion ? { kind: 'expired', row } : null;
      default:
        return null;
    }
  }

  private async create(request: ApprovalRequest): Promise<ApprovalResolution> {
    const { binding, requirement } = request;
    try {
      return await this.repository.withTokenLock(binding.tokenId, async (q) => {
        // Another request (on any instance) may have created it while this one waited for the lock.
        const latest = await q.latest(binding.tokenId, request.idempotencyKey);
        if (latest && latest.consumed_at === null) {
          if (!bindingMatches(latest, binding)) throw conflict();
          const fresh = this.liveAndCurrent(latest, requirement);
          if (fresh) return fresh;
          if (latest.status === 'pending' || latest.status === 'approved') await q.supersede(latest.id);
        }
        await this.assertUnderCap(q, binding.tokenId);
        const row = await q.insert({
          tokenId: binding.tokenId,
          projectId: request.projectId,
          idempotencyKey: request.idempotencyKey,
          policyId: requirement.policyId,
          policyVersion: requirement.policyVersion,
          mode: requirement.mode,
          method: binding.method,
          path: binding.path,
          bodyDigest: binding.bodyDigest,
          summary: request.summary,
          timeoutSecs: requirement.timeoutSecs,
          fallback: requirement.fallback,
          routingChoices: request.routingChoices,
        });
        return { kind: 'pending', row, created: true } as const;
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const latest = await this.repository.latest(binding.tokenId, request.idempotencyKey);
      const existing = latest ? await this.existing(latest, request) : null;
      if (existing) return existing;
      throw error;
    }
  }

  /** An approval for the current policy version that another request created or that was decided meanwhile (under the lock). */
  private liveAndCurrent(row: ApprovalRow, requirement: ApprovalRequirement): ApprovalResolution | null {
    if (row.policy_id !== requirement.policyId || row.policy_version !== requirement.policyVersion) return null;
    const now = row.db_now.getTime();
    if (row.status === 'pending' && row.expires_at.getTime() > now) return { kind: 'pending', row, created: false };
    if (row.status === 'approved' && row.approved_until && row.approved_until.getTime() > now) return { kind: 'approved', row };
    if (row.status === 'rejected') return { kind: 'rejected', row };
    if (row.status === 'expired') return { kind: 'expired', row };
    return null;
  }

  private async assertUnderCap(q: LockedApprovalQueries, tokenId: string): Promise<void> {
    const max = this.config.hitlMaxPendingPerToken;
    const pending = await q.countPending(tokenId);
    if (pending >= max) {
      throw new GatewayError(
        ErrorCode.ApprovalLimitReached,
        `This token already has ${pending} pending approvals (the maximum is ${max}); wait for a decision before sending more`,
      );
    }
  }
}

function conflict(): GatewayError {
  return new GatewayError(
    ErrorCode.IdempotencyConflict,
    'The approval idempotency key was already used for a different request (method, path or body)',
  );
}
