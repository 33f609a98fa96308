import { createHash } from 'node:crypto';
import type {
  ApprovalDecisionValue,
  ApprovalFallback,
  ApprovalMode,
  ApprovalStatus,
  FiredPolicyAction,
  PolicyOutcome,
} from '@ailink/shared-contracts';

/** Longest `X-AILink-Idempotency-Key` accepted (the column is varchar(255)). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** `async` approvals may stay pending up to 7 days (approvals-webhooks-anomalies.md §1). */
export const MAX_ASYNC_TIMEOUT_SECS = 7 * 86_400;
/** An approved approval authorises its request until decision time + 10 minutes. */
export const APPROVED_WINDOW_SECS = 600;
/** `body_preview` is cut to this many characters. */
export const BODY_PREVIEW_CHARS = 2000;

/** The `require_approval` parameters in force for a request (defaults applied by the policy compiler). */
export interface ApprovalRequirement {
  policyId: string;
  policyName: string;
  policyVersion: number;
  mode: ApprovalMode;
  /** Seconds the approval stays pending (already clamped for the mode). */
  timeoutSecs: number;
  fallback: ApprovalFallback;
  notify?: { type: 'slack' | 'webhook'; channel?: string; url?: string };
}

/** What an approval is bound to: the exact request (approvals-webhooks-anomalies.md "Binding"). */
export interface RequestBinding {
  tokenId: string;
  method: string;
  path: string;
  bodyDigest: string;
}

/** The fields of a stored approval that its binding is compared with. */
export interface BoundApproval {
  request_method: string;
  request_path: string;
  body_digest: string;
}

/** SHA-256 hex of the client's body as received (of the empty string for a bodiless request). */
export function bodyDigest(body: Buffer | undefined): string {
  return createHash('sha256')
    .update(body ?? Buffer.alloc(0))
    .digest('hex');
}

/** The key used without `X-AILink-Idempotency-Key`: `sha256:` + hex SHA-256 of `{token}:{method}:{path}:{digest}`. */
export function derivedIdempotencyKey(binding: RequestBinding): string {
  const material = `${binding.tokenId}:${binding.method}:${binding.path}:${binding.bodyDigest}`;
  return 'sha256:' + createHash('sha256').update(material).digest('hex');
}

/** Whether a stored approval authorises exactly this request (token and key are matched by the lookup). */
export function bindingMatches(row: BoundApproval, binding: RequestBinding): boolean {
  return row.request_method === binding.method && row.request_path === binding.path && row.body_digest === binding.bodyDigest;
}

/** `N` + `s|m|h|d` → seconds; null when malformed. */
export function parseDurationSecs(value: string): number | null {
  const match = /^(\d{1,9})([smhd])$/.exec(value.trim());
  if (!match) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/**
 * How long an approval stays pending: the action's `timeout` (default 30 minutes), clamped to
 * `AILINK_HITL_MAX_WAIT_SECS` in `wait` mode and to 7 days in `async` mode; at least 1 second.
 */
export function timeoutSecsFor(mode: ApprovalMode, timeout: string | undefined, maxWaitSecs: number): number {
  const parsed = timeout === undefined ? null : parseDurationSecs(timeout);
  const wanted = parsed ?? 1800;
  const ceiling = mode === 'wait' ? maxWaitSecs : MAX_ASYNC_TIMEOUT_SECS;
  return Math.max(1, Math.min(wanted, ceiling));
}

/**
 * The `require_approval` action the request must honour: the first one in list order among the
 * enforce-mode actions the policy stage left `deferred` (policies.md §11 item 4). Shadow rules never
 * require approval; async rules cannot hold it.
 */
export function pendingApprovalAction(outcome: PolicyOutcome | undefined): FiredPolicyAction | undefined {
  if (!outcome) return undefined;
  for (const fired of outcome.actions) {
    if (fired.action.action === 'require_approval' && fired.status === 'deferred') return fired;
  }
  return undefined;
}

/** The requirement of a fired `require_approval` action. */
export function requirementOf(fired: FiredPolicyAction, maxWaitSecs: number): ApprovalRequirement {
  const action = fired.action as Extract<FiredPolicyAction['action'], { action: 'require_approval' }>;
  const mode: ApprovalMode = action.mode === 'async' ? 'async' : 'wait';
  return {
    policyId: fired.policy_id,
    policyName: fired.policy,
    policyVersion: fired.policy_version,
    mode,
    timeoutSecs: timeoutSecsFor(mode, action.timeout, maxWaitSecs),
    fallback: action.fallback === 'allow' ? 'allow' : 'deny',
    ...(action.notify ? { notify: action.notify } : {}),
  };
}

/** `approved`/`approve` → `approved`, `rejected`/`reject` → `rejected`; anything else null. */
export function normaliseDecision(value: unknown): Extract<ApprovalStatus, 'approved' | 'rejected'> | null {
  const decisions: Record<ApprovalDecisionValue, 'approved' | 'rejected'> = {
    approved: 'approved',
    approve: 'approved',
    rejected: 'rejected',
    reject: 'rejected',
  };
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(decisions, value)
    ? decisions[value as ApprovalDecisionValue]
    : null;
}

/**
 * The reviewer's preview of a body: null at log level 0 or without a body; otherwise the scrubbed
 * text cut to 2000 characters. Binary bodies are described, not shown.
 */
export function bodyPreview(body: Buffer | undefined, logLevel: 0 | 1 | 2, scrub: (text: string) => string): string | null {
  if (logLevel === 0 || !body || body.length === 0) return null;
  // Only the head can end up in the preview (plus a margin so that patterns are not cut short).
  const head = body.subarray(0, BODY_PREVIEW_CHARS * 4 + 1024);
  if (head.includes(0)) return `[binary body: ${body.length} bytes]`;
  return Array.from(scrub(head.toString('utf8')))
    .slice(0, BODY_PREVIEW_CHARS)
    .join('');
}
