import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  APPROVAL_ID_HEADER,
  APPROVAL_IDEMPOTENCY_HEADER,
  type ApprovalPendingResponse,
  type ApprovalRequestSummary,
  type FiredPolicyAction,
} from '@ailink/shared-contracts';
import { AppConfig, ErrorCode, GatewayError, LOGGER, redactVirtualTokens } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  bodyDigest,
  bodyPreview,
  derivedIdempotencyKey,
  pendingApprovalAction,
  requirementOf,
  type ApprovalRequirement,
  type RequestBinding,
} from './approval-binding';
import { ApprovalEvents } from './approval-events';
import { ApprovalGate } from './approval-gate';
import { ApprovalSignals } from './approval-signals';
import { ApprovalBodyScrubber } from './body-scrubber';
import { ApprovalsRepository, type ApprovalRow } from './approvals.repository';

/** `Retry-After` of the 202 answer: how soon an `async` client should repeat the request. */
export const ASYNC_RETRY_AFTER_SECS = 5;
const DEFAULT_MAX_WAIT_SECS = 1800;

/**
 * Proxy stage `approval` (proxy.md §7 step 11; approvals-webhooks-anomalies.md §1): executes the
 * first `require_approval` action the policy stage left deferred. Requests whose policies fired none
 * return at once, with no database round trip. Otherwise the request is bound to its approval
 * (token, method, path, SHA-256 of the client's body, policy version; idempotency key from
 * `X-AILink-Idempotency-Key` or derived) and: `wait` mode holds it until the decision reaches this
 * instance (Redis `ailink:hitl:{id}`) or the approval expires; `async` mode answers 202 while it is
 * pending. Approved (or expired with `fallback: allow`) → the request goes on, and
 * {@link ApprovalConsumeStage} consumes the approval just before forwarding (step 16); rejected →
 * 403 `approval_rejected`; expired with `fallback: deny` → 408 `approval_timeout`.
 */
@Injectable()
export class ApprovalStage implements ProxyStage {
  readonly name = 'approval';

  constructor(
    private readonly gate: ApprovalGate,
    private readonly signals: ApprovalSignals,
    private readonly repository: ApprovalsRepository,
    private readonly events: ApprovalEvents,
    private readonly scrubber: ApprovalBodyScrubber,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(ctx: ProxyContext): Promise<void> {
    const fired = pendingApprovalAction(ctx.policy);
    const token = ctx.token;
    if (!fired || !token) return;
    const requirement = requirementOf(fired, this.config.hitlMaxWaitSecs ?? DEFAULT_MAX_WAIT_SECS);
    const binding: RequestBinding = {
      tokenId: token.id,
      method: ctx.method.toUpperCase(),
      path: redactVirtualTokens(ctx.path + ctx.query),
      bodyDigest: bodyDigest(ctx.body),
    };
    const resolution = await this.gate.resolve({
      binding,
      projectId: token.projectId,
      idempotencyKey: idempotencyKeyOf(ctx, binding),
      requirement,
      summary: this.summaryOf(ctx, binding),
      routingChoices: null,
    });
    let row = resolution.row;
    if (resolution.kind === 'pending') {
      if (resolution.created) this.announce(row, token.name, fired);
      if (requirement.mode === 'async') return this.answerPending(ctx, fired, row);
      const started = Date.now();
      const outcome = await this.signals.wait(row, ctx.clientGone.signal);
      const held = Date.now() - started;
      ctx.deliberateWaitMs += held;
      if (!('row' in outcome)) {
        // The approval stays pending: a later identical request (here or on another instance) reuses it.
        ctx.approval = { id: row.id, decision: null, latencyMs: held };
        fired.status = 'skipped';
        if (outcome.status === 'shutdown') {
          throw new GatewayError(ErrorCode.DependencyUnavailable, 'The gateway is shutting down; repeat the request to keep waiting', {
            headers: { [APPROVAL_ID_HEADER]: row.id, 'retry-after': '1' },
          });
        }
        ctx.answer = { status: 499, body: null };
        return;
      }
      row = outcome.row;
      return this.conclude(ctx, fired, row, requirement, outcome.status, held);
    }
    return this.conclude(ctx, fired, row, requirement, resolution.kind, null);
  }

  private async conclude(
    ctx: ProxyContext,
    fired: FiredPolicyAction,
    row: ApprovalRow,
    requirement: ApprovalRequirement,
    status: 'approved' | 'rejected' | 'expired' | 'pending',
    held: number | null,
  ): Promise<void> {
    const header = { [APPROVAL_ID_HEADER]: row.id };
    if (status === 'approved' || (status === 'expired' && row.fallback === 'allow')) {
      fired.status = 'applied';
      ctx.approval = { id: row.id, decision: status === 'approved' ? 'approved' : 'timeout_allowed', latencyMs: held };
      return;
    }
    fired.status = 'blocked';
    if (status === 'rejected') {
      ctx.approval = { id: row.id, decision: 'rejected', latencyMs: held };
      await this.answered(row.id);
      throw new GatewayError(ErrorCode.ApprovalRejected, `Request rejected by a reviewer (policy '${requirement.policyName}')`, {
        headers: header,
      });
    }
    if (status === 'expired') {
      ctx.approval = { id: row.id, decision: 'timeout', latencyMs: held };
      await this.answered(row.id);
      throw new GatewayError(ErrorCode.ApprovalTimeout, `Approval was not decided in time (policy '${requirement.policyName}')`, {
        headers: header,
      });
    }
    // Still pending (only reachable for a wait that ended without a decision): treat as not decided in time.
    ctx.approval = { id: row.id, decision: 'timeout', latencyMs: held };
    throw new GatewayError(ErrorCode.ApprovalTimeout, `Approval was not decided in time (policy '${requirement.policyName}')`, {
      headers: header,
    });
  }

  /** `async` mode while pending: 202 `{approval_id, status, expires_at}`, `x-ailink-approval-id`, `Retry-After: 5`. */
  private answerPending(ctx: ProxyContext, fired: FiredPolicyAction, row: ApprovalRow): void {
    fired.status = 'blocked';
    ctx.approval = { id: row.id, decision: null, latencyMs: null };
    const body: ApprovalPendingResponse = { approval_id: row.id, status: 'pending', expires_at: row.expires_at.toISOString() };
    ctx.answer = {
      status: 202,
      body,
      headers: { [APPROVAL_ID_HEADER]: row.id, 'retry-after': String(ASYNC_RETRY_AFTER_SECS) },
    };
  }

  private announce(row: ApprovalRow, tokenName: string, fired: FiredPolicyAction): void {
    this.logger.info(
      { approval_id: row.id, token_id: row.token_id, policy: fired.policy, method: row.request_method, mode: row.mode },
      'Approval requested',
    );
    this.events.requested(row, tokenName);
  }

  /** A refusal answered to a client is not answered again: the next identical request asks anew. */
  private async answered(id: string): Promise<void> {
    try {
      await this.repository.markAnswered(id);
    } catch (error) {
      this.logger.warn({ err: error, approval_id: id }, 'Could not record that an approval refusal was answered');
    }
  }

  private summaryOf(ctx: ProxyContext, binding: RequestBinding): ApprovalRequestSummary {
    const token = ctx.token as NonNullable<ProxyContext['token']>;
    const json = ctx.json as { model?: unknown } | undefined;
    const agent = ctx.header('x-ailink-agent-name') ?? ctx.header('user-agent') ?? null;
    const upstream = ctx.serviceBaseUrl ?? token.upstreams[0]?.url ?? null;
    return {
      method: binding.method,
      path: binding.path,
      agent: agent === null ? null : redactVirtualTokens(agent).slice(0, 256),
      upstream: upstream === null ? null : redactVirtualTokens(upstream),
      model: json && typeof json === 'object' && typeof json.model === 'string' ? json.model.slice(0, 256) : null,
      body_preview: bodyPreview(ctx.body, token.logLevel, (text) => this.scrubber.scrub(text)),
    };
  }
}

/**
 * Proxy stage `approval-consume` (proxy.md §7 step 16): after the spend reservation, consumes the
 * approval the request passed in one atomic statement. Nothing to consume → nothing done. Already
 * consumed by another request or retry → 409 `idempotency_conflict` (the reservation is released
 * by the settlement that every exit runs).
 */
@Injectable()
export class ApprovalConsumeStage implements ProxyStage {
  readonly name = 'approval-consume';

  constructor(private readonly repository: ApprovalsRepository) {}

  async run(ctx: ProxyContext): Promise<void> {
    const approval = ctx.approval;
    if (!approval || (approval.decision !== 'approved' && approval.decision !== 'timeout_allowed')) return;
    if (!(await this.repository.consume(approval.id))) {
      throw new GatewayError(ErrorCode.IdempotencyConflict, 'This approval was already used by another request', {
        headers: { [APPROVAL_ID_HEADER]: approval.id },
      });
    }
    ctx.clientHeaders[APPROVAL_ID_HEADER] = approval.id;
  }
}

/** `X-AILink-Idempotency-Key` (trimmed, at most 255 characters), else the derived key. */
export function idempotencyKeyOf(ctx: ProxyContext, binding: RequestBinding): string {
  const sent = ctx.header(APPROVAL_IDEMPOTENCY_HEADER)?.trim();
  if (!sent) return derivedIdempotencyKey(binding);
  if (sent.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new GatewayError(ErrorCode.InvalidRequest, `X-AILink-Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  return sent;
}
