/** `policy_result` of an audit record (audit-and-observability.md §1). */
export const AUDIT_POLICY_RESULTS = ['allowed', 'denied', 'pending', 'approved', 'rejected', 'timeout'] as const;
export type AuditPolicyResult = (typeof AUDIT_POLICY_RESULTS)[number];

/** `hitl_decision` of an audit record. */
export type AuditHitlDecision = 'approved' | 'rejected' | 'timeout' | 'timeout_allowed';

/** Token log levels: 0 `metadata`, 1 `redacted` (default), 2 `full`. */
export type AuditLogLevel = 0 | 1 | 2;

/** Response header of `GET /audit` carrying the next page's cursor (absent on the last page). */
export const AUDIT_NEXT_CURSOR_HEADER = 'x-next-cursor';

/** SSE event name of `GET /audit/stream`; its `data` is a JSON array of {@link AuditSummary}. */
export const AUDIT_STREAM_EVENT = 'audit';

/** Filters of `GET /audit` and `GET /audit/stream` (audit-and-observability.md §5). */
export interface AuditFilters {
  /** Public id (`tok_…`) or the bearer secret. */
  token_id?: string;
  /** Exact code (`503`) or class (`2xx`, `4xx`, `5xx`). */
  status?: string;
  policy_result?: AuditPolicyResult;
  /** Exact model or alias. */
  model?: string;
  session_id?: string;
  method?: string;
  /** Path prefix. */
  path?: string;
  project_id?: string;
}

/** Query of `GET /audit`: filters, time range and pagination (`offset` or `cursor`, not both). */
export interface AuditListQuery extends AuditFilters {
  /** RFC 3339, inclusive. */
  from?: string;
  /** RFC 3339, exclusive. */
  to?: string;
  /** 1–200, default 50. */
  limit?: number;
  offset?: number;
  /** The previous page's `X-Next-Cursor`. */
  cursor?: string;
}

/** `router_info` of an audit record (routing actions). */
export interface AuditRouterInfo {
  strategy?: string;
  reason?: string;
  target?: string;
  candidates?: unknown[];
}

/** One item of `GET /api/v1/audit` and of the `event: audit` data of `GET /api/v1/audit/stream`. */
export interface AuditSummary {
  id: string;
  seq: number;
  created_at: string;
  project_id: string;
  /** The token's public id (`tok_…`), never the bearer secret. */
  token_id: string | null;
  method: string;
  /** Path and query as received, every `ailink_v1_…` replaced by the public id. */
  path: string;
  upstream_status: number | null;
  response_latency_ms: number | null;
  overhead_ms: number | null;
  agent_name: string | null;
  policy_result: AuditPolicyResult;
  /** Decimal string (`"0.001250"`). */
  estimated_cost_usd: string | null;
  shadow_violations: unknown[];
  fields_redacted: string[];
  prompt_tokens: number | null;
  completion_tokens: number | null;
  model: string | null;
  model_alias: string | null;
  provider: string | null;
  tokens_per_second: number | null;
  user_id: string | null;
  tenant_id: string | null;
  external_request_id: string | null;
  session_id: string | null;
  team_id: string | null;
  tags: Record<string, unknown>;
  log_level: AuditLogLevel;
  tool_call_count: number;
  finish_reason: string | null;
  error_type: string | null;
  is_streaming: boolean;
  cache_hit: boolean;
}

/** `GET /api/v1/audit/{id}`: the summary plus the detail fields, bodies and headers per log level. */
export interface AuditDetail extends AuditSummary {
  request_id: string;
  /** Without its query string (a credential injected as `?key=` lives there). */
  upstream_url: string | null;
  policy_mode: string | null;
  policies_evaluated: unknown[];
  deny_reason: string | null;
  hitl_required: boolean;
  hitl_decision: AuditHitlDecision | null;
  hitl_latency_ms: number | null;
  approval_id: string | null;
  ttft_ms: number | null;
  parent_span_id: string | null;
  tool_calls: unknown;
  router_info: AuditRouterInfo | null;
  experiment_name: string | null;
  variant_name: string | null;
  custom_properties: Record<string, unknown> | null;
  guardrail_errors: unknown[];
  async_findings: unknown[];
  pricing_missing: boolean;
  payload_url: string | null;
  request_body: string | null;
  response_body: string | null;
  request_headers: Record<string, string> | null;
  response_headers: Record<string, string> | null;
  bodies_expired_at: string | null;
  prev_hash: string;
  hash: string;
}
