/**
 * Human-in-the-loop approvals (approvals-webhooks-anomalies.md §1; management-api.md "Approvals"):
 * the Approval record, the decision call, the 202 answer of an `async` approval and the two approval
 * events (also what `GET /approvals/stream` sends).
 */

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const APPROVAL_MODES = ['wait', 'async'] as const;
export type ApprovalMode = (typeof APPROVAL_MODES)[number];

export type ApprovalFallback = 'deny' | 'allow';

/** How a decision was made (`decision_channel`). */
export type ApprovalDecisionChannel = 'api' | 'slack';

/** Accepted `decision` values (both spellings the SDKs send). */
export const APPROVAL_DECISIONS = ['approved', 'approve', 'rejected', 'reject'] as const;
export type ApprovalDecisionValue = (typeof APPROVAL_DECISIONS)[number];

/** Response header naming the approval a request passed (or is waiting for, on a 202). */
export const APPROVAL_ID_HEADER = 'x-ailink-approval-id';
/** Request header carrying the client's approval idempotency key. */
export const APPROVAL_IDEMPOTENCY_HEADER = 'x-ailink-idempotency-key';
/** Event name of `GET /approvals/stream` frames for a new approval. */
export const APPROVAL_REQUESTED_EVENT = 'approval_requested';
/** Event name of `GET /approvals/stream` frames for a decision. */
export const APPROVAL_DECIDED_EVENT = 'approval_decided';

/** What a reviewer sees of the held request. */
export interface ApprovalRequestSummary {
  method: string;
  /** Path (and query string) as received, virtual tokens replaced by their public id. */
  path: string;
  agent: string | null;
  /** Upstream base URL the request would go to, when known before target selection. */
  upstream: string | null;
  model: string | null;
  /** Null at log level 0; otherwise the level-1 scrubbed body, at most 2000 characters. */
  body_preview: string | null;
}

/** The Approval record (`GET /approvals`, `GET /approvals/{id}`). */
export interface Approval {
  id: string;
  token_id: string;
  project_id: string;
  idempotency_key: string;
  policy_id: string | null;
  policy_version: number;
  mode: ApprovalMode;
  request_method: string;
  request_path: string;
  /** SHA-256 hex of the client's request body (of the empty string for bodiless requests). */
  body_digest: string;
  request_summary: ApprovalRequestSummary;
  status: ApprovalStatus;
  reviewed_by: string | null;
  decision_channel: ApprovalDecisionChannel | null;
  decision_comment: string | null;
  reviewed_at: string | null;
  expires_at: string;
  approved_until: string | null;
  consumed_at: string | null;
  fallback: ApprovalFallback;
  routing_choices: Record<string, unknown> | null;
  created_at: string;
}

/** `GET /approvals` query. */
export interface ApprovalListQuery {
  status?: ApprovalStatus;
  token_id?: string;
  limit?: number;
  offset?: number;
  project_id?: string;
}

/** `POST /approvals/{id}/decision` (also `/decide`). */
export interface ApprovalDecisionRequest {
  decision: ApprovalDecisionValue;
  comment?: string;
}

/** `{id, status, updated}`: `updated` is false when the approval was no longer pending (status is then the current one). */
export interface ApprovalDecisionResponse {
  id: string;
  status: ApprovalStatus;
  updated: boolean;
}

/** Body of the proxy's 202 answer in `async` mode. */
export interface ApprovalPendingResponse {
  approval_id: string;
  status: 'pending';
  expires_at: string;
}

/** `approval_requested` event details. */
export type ApprovalRequestedDetails = {
  approval_id: string;
  mode: ApprovalMode;
  method: string;
  path: string;
  agent: string | null;
  upstream: string | null;
  model: string | null;
  expires_at: string;
  body_preview: string | null;
};

/** `approval_decided` event details. */
export type ApprovalDecidedDetails = {
  approval_id: string;
  decision: 'approved' | 'rejected';
  decided_by: string;
  channel: ApprovalDecisionChannel;
};
