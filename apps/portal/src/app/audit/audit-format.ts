import { LOG_LEVEL_NAMES, type AuditDetail } from '@ailink/shared-contracts';

export interface Fact {
  readonly label: string;
  readonly value: string;
  /** `code`: monospace (ids, hashes, URLs); `date`: an RFC 3339 timestamp shown in local time. */
  readonly kind?: 'code' | 'date';
}

/** A stored body for display: JSON pretty-printed, anything else as stored. */
export function formatBody(body: unknown): string {
  if (body === null || body === undefined) return '';
  if (typeof body !== 'string') return JSON.stringify(body, null, 2);
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.stringify(JSON.parse(trimmed), null, 2);
    } catch {
      return body;
    }
  }
  return body;
}

/** Header maps as sorted `[name, value]` pairs (empty when the record kept none). */
export function headerEntries(headers: Record<string, string> | null | undefined): Array<[string, string]> {
  if (!headers || typeof headers !== 'object') return [];
  return Object.entries(headers)
    .map(([name, value]): [string, string] => [name, Array.isArray(value) ? value.join(', ') : String(value)])
    .sort(([a], [b]) => a.localeCompare(b));
}

function text(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (Array.isArray(value)) return value.length ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ') : null;
  if (typeof value === 'object') return Object.keys(value).length ? JSON.stringify(value) : null;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** The detail's scalar fields as label/value pairs, skipping the empty ones. */
export function detailFacts(d: AuditDetail): Fact[] {
  const rows: Array<[string, unknown, ('code' | 'date')?]> = [
    ['Record id', d.id, 'code'],
    ['Request id', d.request_id, 'code'],
    ['Time', d.created_at, 'date'],
    ['Status', d.upstream_status],
    ['Error', d.error_type],
    ['Upstream URL', d.upstream_url, 'code'],
    ['Latency', d.response_latency_ms === null || d.response_latency_ms === undefined ? null : `${d.response_latency_ms} ms`],
    ['Gateway overhead', d.overhead_ms === null || d.overhead_ms === undefined ? null : `${d.overhead_ms} ms`],
    ['Time to first token', d.ttft_ms === null || d.ttft_ms === undefined ? null : `${d.ttft_ms} ms`],
    ['Model', d.model],
    ['Model alias', d.model_alias],
    ['Provider', d.provider],
    ['Prompt tokens', d.prompt_tokens],
    ['Completion tokens', d.completion_tokens],
    ['Tokens per second', d.tokens_per_second],
    ['Estimated cost (USD)', d.estimated_cost_usd],
    ['Pricing missing', d.pricing_missing ? true : null],
    ['Finish reason', d.finish_reason],
    ['Streaming', d.is_streaming],
    ['Cache hit', d.cache_hit],
    ['Tool calls', d.tool_call_count || null],
    ['Token', d.token_id, 'code'],
    ['Agent', d.agent_name],
    ['Session', d.session_id, 'code'],
    ['User', d.user_id],
    ['Tenant', d.tenant_id],
    ['Team', d.team_id, 'code'],
    ['External request id', d.external_request_id, 'code'],
    ['Policy result', d.policy_result],
    ['Policy mode', d.policy_mode],
    ['Policies evaluated', d.policies_evaluated],
    ['Deny reason', d.deny_reason],
    ['Fields redacted', d.fields_redacted],
    ['Approval required', d.hitl_required ? true : null],
    ['Approval decision', d.hitl_decision],
    ['Approval wait', d.hitl_latency_ms === null || d.hitl_latency_ms === undefined ? null : `${d.hitl_latency_ms} ms`],
    ['Approval id', d.approval_id, 'code'],
    ['Routing', d.router_info],
    ['Experiment', d.experiment_name ? `${d.experiment_name}${d.variant_name ? ` / ${d.variant_name}` : ''}` : null],
    ['Tags', d.tags],
    ['Custom properties', d.custom_properties],
    ['Guardrail errors', d.guardrail_errors],
    ['Async findings', d.async_findings],
    [
      'Log level',
      d.log_level === null || d.log_level === undefined ? null : `${LOG_LEVEL_NAMES[d.log_level] ?? 'unknown'} (${d.log_level})`,
    ],
    ['Payload stored at', d.payload_url, 'code'],
    ['Sequence', d.seq],
    ['Previous hash', d.prev_hash, 'code'],
    ['Hash', d.hash, 'code'],
  ];
  const facts: Fact[] = [];
  for (const [label, value, kind] of rows) {
    const t = text(value);
    if (t !== null) facts.push(kind ? { label, value: t, kind } : { label, value: t });
  }
  return facts;
}
