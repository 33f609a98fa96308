import type { AuditDetail, AuditLogLevel, AuditPolicyResult, AuditSummary } from '@ailink/shared-contracts';
import type { ChainedAuditRecord } from './audit-record';

/** A row of `audit_logs` as node-postgres returns it (bigint and numeric as strings), plus bodies when joined. */
export type AuditLogRow = Record<string, unknown> & {
  id: string;
  created_at: Date;
  /** `created_at` with microseconds, for cursors. */
  created_at_us: string;
};

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const str = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const bool = (value: unknown): boolean => value === true;
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const obj = <T>(value: unknown): T | null => (value !== null && typeof value === 'object' ? (value as T) : null);

/** The summary of a freshly written record (what the stream announces). */
export function summaryOfRecord(r: ChainedAuditRecord): AuditSummary {
  return {
    id: r.id,
    seq: r.seq,
    created_at: r.created_at,
    project_id: r.project_id,
    token_id: r.token_id,
    method: r.method,
    path: r.path,
    upstream_status: r.upstream_status,
    response_latency_ms: r.response_latency_ms,
    overhead_ms: r.overhead_ms,
    agent_name: r.agent_name,
    policy_result: r.policy_result,
    estimated_cost_usd: r.estimated_cost_usd,
    shadow_violations: r.shadow_violations,
    fields_redacted: r.fields_redacted,
    prompt_tokens: r.prompt_tokens,
    completion_tokens: r.completion_tokens,
    model: r.model,
    model_alias: r.model_alias,
    provider: r.provider,
    tokens_per_second: r.tokens_per_second,
    user_id: r.user_id,
    tenant_id: r.tenant_id,
    external_request_id: r.external_request_id,
    session_id: r.session_id,
    team_id: r.team_id,
    tags: r.tags,
    log_level: r.log_level,
    tool_call_count: r.tool_call_count,
    finish_reason: r.finish_reason,
    error_type: r.error_type,
    is_streaming: r.is_streaming,
    cache_hit: r.cache_hit,
  };
}

export function summaryOfRow(row: AuditLogRow): AuditSummary {
  return {
    id: row.id,
    seq: Number(row['seq']),
    created_at: row.created_at.toISOString(),
    project_id: String(row['project_id']),
    token_id: str(row['token_id']),
    method: String(row['method']),
    path: String(row['path']),
    upstream_status: num(row['upstream_status']),
    response_latency_ms: num(row['response_latency_ms']),
    overhead_ms: num(row['overhead_ms']),
    agent_name: str(row['agent_name']),
    policy_result: row['policy_result'] as AuditPolicyResult,
    estimated_cost_usd: str(row['estimated_cost_usd']),
    shadow_violations: arr(row['shadow_violations']),
    fields_redacted: (row['fields_redacted'] as string[] | null) ?? [],
    prompt_tokens: num(row['prompt_tokens']),
    completion_tokens: num(row['completion_tokens']),
    model: str(row['model']),
    model_alias: str(row['model_alias']),
    provider: str(row['provider']),
    tokens_per_second: num(row['tokens_per_second']),
    user_id: str(row['user_id']),
    tenant_id: str(row['tenant_id']),
    external_request_id: str(row['external_request_id']),
    session_id: str(row['session_id']),
    team_id: str(row['team_id']),
    tags: obj<Record<string, unknown>>(row['tags']) ?? {},
    log_level: Number(row['log_level']) as AuditLogLevel,
    tool_call_count: Number(row['tool_call_count'] ?? 0),
    finish_reason: str(row['finish_reason']),
    error_type: str(row['error_type']),
    is_streaming: bool(row['is_streaming']),
    cache_hit: bool(row['cache_hit']),
  };
}

export function detailOfRow(row: AuditLogRow): AuditDetail {
  const expired = row['bodies_expired_at'] instanceof Date ? row['bodies_expired_at'] : null;
  return {
    ...summaryOfRow(row),
    request_id: String(row['request_id']),
    upstream_url: str(row['upstream_url']),
    policy_mode: str(row['policy_mode']),
    policies_evaluated: arr(row['policies_evaluated']),
    deny_reason: str(row['deny_reason']),
    hitl_required: bool(row['hitl_required']),
    hitl_decision: str(row['hitl_decision']) as AuditDetail['hitl_decision'],
    hitl_latency_ms: num(row['hitl_latency_ms']),
    approval_id: str(row['approval_id']),
    ttft_ms: num(row['ttft_ms']),
    parent_span_id: str(row['parent_span_id']),
    tool_calls: row['tool_calls'] ?? null,
    router_info: obj(row['router_info']),
    experiment_name: str(row['experiment_name']),
    variant_name: str(row['variant_name']),
    custom_properties: obj(row['custom_properties']),
    guardrail_errors: arr(row['guardrail_errors']),
    async_findings: arr(row['async_findings']),
    pricing_missing: bool(row['pricing_missing']),
    payload_url: str(row['payload_url']),
    request_body: str(row['request_body']),
    response_body: str(row['response_body']),
    request_headers: obj(row['request_headers']),
    response_headers: obj(row['response_headers']),
    bodies_expired_at: expired ? expired.toISOString() : null,
    prev_hash: String(row['prev_hash']),
    hash: String(row['hash']),
  };
}
