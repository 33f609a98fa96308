import type { AuditHitlDecision, AuditLogLevel, AuditPolicyResult, AuditRouterInfo } from '@ailink/shared-contracts';

/** Bodies and headers kept by log level 1 or 2 (`audit_log_bodies`); null for level 0. */
export interface AuditBodies {
  request_body: string | null;
  response_body: string | null;
  request_headers: Record<string, string> | null;
  response_headers: Record<string, string> | null;
}

/**
 * One audit record as built on the request path, before the flusher gives it its place in the
 * project's hash chain (`seq`, `prev_hash`, `hash`). Field names are the column names.
 */
export interface AuditRecord {
  id: string;
  /** RFC 3339 UTC with milliseconds (`toISOString()`): when the request was received. */
  created_at: string;
  project_id: string;
  request_id: string;
  token_id: string | null;
  method: string;
  path: string;
  upstream_url: string | null;
  upstream_status: number | null;
  response_latency_ms: number | null;
  overhead_ms: number | null;
  ttft_ms: number | null;
  agent_name: string | null;
  policy_result: AuditPolicyResult;
  policy_mode: string | null;
  policies_evaluated: unknown[];
  deny_reason: string | null;
  shadow_violations: unknown[];
  fields_redacted: string[];
  hitl_required: boolean;
  hitl_decision: AuditHitlDecision | null;
  hitl_latency_ms: number | null;
  approval_id: string | null;
  /** Decimal string with 6 places, as stored (`numeric(12,6)`). */
  estimated_cost_usd: string | null;
  pricing_missing: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  tokens_per_second: number | null;
  model: string | null;
  model_alias: string | null;
  provider: string | null;
  user_id: string | null;
  tenant_id: string | null;
  external_request_id: string | null;
  session_id: string | null;
  parent_span_id: string | null;
  log_level: AuditLogLevel;
  tool_calls: unknown;
  tool_call_count: number;
  finish_reason: string | null;
  error_type: string | null;
  is_streaming: boolean;
  cache_hit: boolean;
  router_info: AuditRouterInfo | null;
  experiment_name: string | null;
  variant_name: string | null;
  custom_properties: Record<string, unknown> | null;
  team_id: string | null;
  tags: Record<string, unknown>;
  guardrail_errors: unknown[];
  async_findings: unknown[];
  payload_url: string | null;
  request_body_sha256: string | null;
  response_body_sha256: string | null;
  /** Stored in `audit_log_bodies` in the same transaction; null when the log level keeps none. */
  bodies: AuditBodies | null;
}

/** A record with its place in the project's chain, as written. */
export interface ChainedAuditRecord extends AuditRecord {
  seq: number;
  prev_hash: string;
  hash: string;
}

/** Columns of `audit_logs` in insert order, with the SQL type used to read them from JSON. */
export const AUDIT_LOG_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['id', 'uuid'],
  ['seq', 'bigint'],
  ['project_id', 'uuid'],
  ['created_at', 'timestamptz'],
  ['request_id', 'varchar(64)'],
  ['token_id', 'varchar(28)'],
  ['method', 'varchar(16)'],
  ['path', 'text'],
  ['upstream_url', 'text'],
  ['upstream_status', 'smallint'],
  ['response_latency_ms', 'integer'],
  ['overhead_ms', 'numeric(10,3)'],
  ['ttft_ms', 'integer'],
  ['agent_name', 'text'],
  ['policy_result', 'varchar(16)'],
  ['policy_mode', 'varchar(16)'],
  ['policies_evaluated', 'jsonb'],
  ['deny_reason', 'text'],
  ['shadow_violations', 'jsonb'],
  ['fields_redacted', 'text[]'],
  ['hitl_required', 'boolean'],
  ['hitl_decision', 'varchar(16)'],
  ['hitl_latency_ms', 'integer'],
  ['approval_id', 'uuid'],
  ['estimated_cost_usd', 'numeric(12,6)'],
  ['pricing_missing', 'boolean'],
  ['prompt_tokens', 'integer'],
  ['completion_tokens', 'integer'],
  ['tokens_per_second', 'double precision'],
  ['model', 'text'],
  ['model_alias', 'text'],
  ['provider', 'text'],
  ['user_id', 'text'],
  ['tenant_id', 'text'],
  ['external_request_id', 'text'],
  ['session_id', 'text'],
  ['parent_span_id', 'text'],
  ['log_level', 'smallint'],
  ['tool_calls', 'jsonb'],
  ['tool_call_count', 'integer'],
  ['finish_reason', 'text'],
  ['error_type', 'varchar(64)'],
  ['is_streaming', 'boolean'],
  ['cache_hit', 'boolean'],
  ['router_info', 'jsonb'],
  ['experiment_name', 'text'],
  ['variant_name', 'text'],
  ['custom_properties', 'jsonb'],
  ['team_id', 'uuid'],
  ['tags', 'jsonb'],
  ['guardrail_errors', 'jsonb'],
  ['async_findings', 'jsonb'],
  ['payload_url', 'text'],
  ['request_body_sha256', 'char(64)'],
  ['response_body_sha256', 'char(64)'],
  ['prev_hash', 'char(64)'],
  ['hash', 'char(64)'],
];

/** Columns of `audit_log_bodies` written by the flusher. */
export const AUDIT_BODY_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['audit_log_id', 'uuid'],
  ['created_at', 'timestamptz'],
  ['request_body', 'text'],
  ['response_body', 'text'],
  ['request_headers', 'jsonb'],
  ['response_headers', 'jsonb'],
];

/** Rough in-memory size of a record (for `AILINK_AUDIT_QUEUE_MAX_BYTES`): bodies dominate. */
export function estimateRecordBytes(record: AuditRecord): number {
  let bytes = 1024 + record.path.length + (record.upstream_url?.length ?? 0);
  const bodies = record.bodies;
  if (bodies) {
    bytes += (bodies.request_body?.length ?? 0) + (bodies.response_body?.length ?? 0);
    for (const headers of [bodies.request_headers, bodies.response_headers]) {
      if (headers) for (const [k, v] of Object.entries(headers)) bytes += k.length + v.length + 8;
    }
  }
  return bytes * 2;
}
