import { randomUUID } from 'node:crypto';
import type { AuditPolicyResult } from '@ailink/shared-contracts';
import { ERROR_MAP, ErrorCode, redactVirtualTokens } from '@ailink/gateway-core';
import type { ProxyContext } from '@ailink/gateway-proxy';
import type { AuditBodies, AuditRecord } from './audit-record';
import { recordedHeaders, safeUpstreamUrl, storedBody } from './audit-scrubber';

/** Longest value kept for free-text attribution fields taken from client headers. */
const MAX_ATTRIBUTION = 256;
const MAX_PATH = 8192;

/** Refusals of the gateway itself (a rule stopped the request): `policy_result` other than `allowed`. */
const REFUSALS: Partial<Record<ErrorCode, AuditPolicyResult>> = {
  [ErrorCode.TokenSuspended]: 'denied',
  [ErrorCode.PolicyDenied]: 'denied',
  [ErrorCode.ModelAccessDenied]: 'denied',
  [ErrorCode.ContentBlocked]: 'denied',
  [ErrorCode.ApprovalLimitReached]: 'denied',
  [ErrorCode.IdempotencyConflict]: 'denied',
  [ErrorCode.InvalidRequest]: 'denied',
  [ErrorCode.RateLimitExceeded]: 'denied',
  [ErrorCode.SpendCapReached]: 'denied',
  [ErrorCode.PayloadTooLarge]: 'denied',
  [ErrorCode.ApprovalRejected]: 'rejected',
  [ErrorCode.ApprovalTimeout]: 'timeout',
};

/** `allowed`, or the kind of refusal when the gateway refused the request (upstream failures stay `allowed`). */
export function policyResultOf(ctx: ProxyContext): AuditPolicyResult {
  const code = ctx.error?.code;
  const refused = code && REFUSALS[code];
  if (refused) return refused;
  // Human approval (approvals-webhooks-anomalies.md §1): 202 while pending; `approved` once forwarded.
  if (ctx.approval && !ctx.error) {
    if (ctx.status === 202 && ctx.approval.decision === null) return 'pending';
    if (ctx.approval.decision === 'approved') return 'approved';
  }
  return 'allowed';
}

/**
 * Why the gateway refused the request: `rate_limit` for any rate limit (vault-and-spend.md §7), else
 * the refusal's message; null when it was not refused.
 */
export function denyReasonOf(ctx: ProxyContext): string | null {
  if (!ctx.error || policyResultOf(ctx) === 'allowed') return null;
  if (ctx.error.code === ErrorCode.RateLimitExceeded) return 'rate_limit';
  return ctx.error.message.slice(0, 1000);
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** `enforce` when an enforce-mode policy ran in either phase, `shadow` when only shadow ones did, else null. */
function policyModeOf(ctx: ProxyContext): string | null {
  const modes = [ctx.policy?.mode, ctx.postPolicy?.mode];
  if (modes.includes('enforce')) return 'enforce';
  return modes.includes('shadow') ? 'shadow' : null;
}

function clip(value: string | undefined, max = MAX_ATTRIBUTION): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed.slice(0, max);
}

function customProperties(raw: string | undefined): Record<string, unknown> | null {
  if (!raw) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function modelOf(ctx: ProxyContext): string | null {
  if (ctx.model) return ctx.model;
  const json = ctx.json as { model?: unknown } | undefined;
  return json && typeof json === 'object' && typeof json.model === 'string' ? json.model : null;
}

function bodiesOf(ctx: ProxyContext, level: 1 | 2): AuditBodies {
  const extraMasked: string[] = [];
  if (ctx.credential?.header && ctx.credential.mode !== 'query') extraMasked.push(ctx.credential.header);
  if (ctx.tokenCarrier && !ctx.tokenCarrier.startsWith('query:')) extraMasked.push(ctx.tokenCarrier);
  const responseEncoding = Object.entries(ctx.responseHeaders ?? {}).find(([name]) => name.toLowerCase() === 'content-encoding')?.[1];
  return {
    request_body: storedBody(ctx.body, level, ctx.header('content-encoding')),
    response_body: storedBody(ctx.responseBody, level, responseEncoding),
    request_headers: recordedHeaders(ctx.headers, extraMasked),
    response_headers: recordedHeaders(ctx.responseHeaders, extraMasked),
  };
}

/**
 * Builds the audit record of a completed proxied request (audit-and-observability.md §1). Only for
 * requests that passed token authentication: without `ctx.token` there is no record (returns null).
 * Bodies and headers follow the token's log level: 0 none, 1 scrubbed of the 12 PII types and
 * secrets, 2 raw; headers masked at both levels; bodies truncated at 1 MiB.
 */
export function buildAuditRecord(ctx: ProxyContext, now = Date.now()): AuditRecord | null {
  const token = ctx.token;
  if (!token) return null;
  const elapsedMs = ctx.elapsedMs();
  const level = token.logLevel;
  const usage = ctx.usage;
  const completionTokens = usage?.completion_tokens ?? null;
  // Streaming: from the first byte to the end of the relay (upstream time stops at the headers there).
  const generationMs = ctx.streaming ? elapsedMs - (ctx.ttfbMs ?? 0) : ctx.upstreamMs;
  const status = ctx.upstreamStatus ?? ctx.status ?? (ctx.error ? (ctx.error.status ?? ERROR_MAP[ctx.error.code]?.status) : undefined);
  return {
    id: randomUUID(),
    created_at: new Date(Math.round(now - elapsedMs)).toISOString(),
    project_id: token.projectId,
    request_id: ctx.requestId,
    token_id: token.id,
    method: ctx.method.toUpperCase().slice(0, 16),
    path: redactVirtualTokens(ctx.path + ctx.query).slice(0, MAX_PATH),
    upstream_url: safeUpstreamUrl(ctx.upstreamUrl),
    upstream_status: status ?? null,
    response_latency_ms: Math.round(elapsedMs),
    overhead_ms: round3(Math.max(0, elapsedMs - ctx.upstreamMs - ctx.deliberateWaitMs)),
    ttft_ms: ctx.ttfbMs === undefined ? null : Math.round(ctx.ttfbMs),
    agent_name: clip(ctx.header('x-ailink-agent-name') ?? ctx.header('user-agent')),
    policy_result: policyResultOf(ctx),
    policy_mode: policyModeOf(ctx),
    policies_evaluated: [...(ctx.policy?.evaluated ?? []), ...(ctx.postPolicy?.evaluated ?? [])],
    deny_reason: denyReasonOf(ctx),
    shadow_violations: [...(ctx.policy?.shadow_violations ?? []), ...(ctx.postPolicy?.shadow_violations ?? [])],
    fields_redacted: ctx.fieldsRedacted ? [...ctx.fieldsRedacted] : [],
    hitl_required: ctx.approval !== undefined,
    hitl_decision: ctx.approval?.decision ?? null,
    hitl_latency_ms: ctx.approval?.latencyMs == null ? null : Math.round(ctx.approval.latencyMs),
    approval_id: ctx.approval?.id ?? null,
    estimated_cost_usd: ctx.costUsd === undefined ? null : ctx.costUsd.toFixed(6),
    pricing_missing: ctx.pricingMissing ?? false,
    prompt_tokens: usage?.prompt_tokens ?? null,
    completion_tokens: completionTokens,
    tokens_per_second: completionTokens && generationMs > 0 ? round3(completionTokens / (generationMs / 1000)) : null,
    model: clip(modelOf(ctx) ?? undefined),
    model_alias: null,
    provider: null,
    user_id: clip(ctx.header('x-user-id') ?? ctx.header('x-ailink-user-id')),
    tenant_id: clip(ctx.header('x-tenant-id') ?? ctx.header('x-ailink-tenant-id')),
    external_request_id: clip(ctx.header('x-request-id') ?? ctx.header('x-ailink-external-request-id')),
    session_id: clip(ctx.header('x-session-id'), 128),
    parent_span_id: clip(ctx.header('x-parent-span-id')),
    log_level: level,
    tool_calls: null,
    tool_call_count: 0,
    finish_reason: clip(ctx.finishReason, 64),
    error_type: ctx.error?.code ?? null,
    is_streaming: ctx.streaming,
    cache_hit: false,
    router_info: ctx.routerInfo ?? null,
    experiment_name: clip(ctx.experimentName),
    variant_name: clip(ctx.variantName),
    custom_properties: customProperties(ctx.header('x-properties')),
    team_id: token.teamId,
    tags: { ...token.tags, ...(ctx.policy?.tags ?? {}), ...(ctx.postPolicy?.tags ?? {}) },
    guardrail_errors: [],
    async_findings: ctx.asyncFindings ? [...ctx.asyncFindings] : [],
    payload_url: null,
    request_body_sha256: null,
    response_body_sha256: null,
    bodies: level === 0 ? null : bodiesOf(ctx, level),
  };
}
