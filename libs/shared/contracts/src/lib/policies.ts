/**
 * Policies (policies.md; management-api.md "Policies"): the document a client writes, the Policy
 * object the API returns, its version history, and what a policy evaluation leaves on a proxied
 * request for the stages that run after it and for the audit record.
 */

export const POLICY_MODES = ['enforce', 'shadow'] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

export const POLICY_PHASES = ['pre', 'post'] as const;
export type PolicyPhase = (typeof POLICY_PHASES)[number];

/** Condition operators (policies.md §3). */
export const POLICY_OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'contains',
  'starts_with',
  'ends_with',
  'glob',
  'regex',
  'exists',
] as const;
export type PolicyOperator = (typeof POLICY_OPERATORS)[number];

/** Operators of `conditional_route` branch conditions (proxy.md §11). */
export const ROUTE_BRANCH_OPERATORS = ['eq', 'neq', 'contains', 'starts_with', 'ends_with', 'exists', 'regex', 'in', 'glob'] as const;
export type RouteBranchOperator = (typeof ROUTE_BRANCH_OPERATORS)[number];

/** Every action type of policies.md §6. */
export const POLICY_ACTION_TYPES = [
  'allow',
  'deny',
  'rate_limit',
  'throttle',
  'require_approval',
  'redact',
  'content_filter',
  'external_guardrail',
  'tool_scope',
  'validate_schema',
  'transform',
  'override',
  'log',
  'tag',
  'webhook',
  'split',
  'dynamic_route',
  'conditional_route',
] as const;
export type PolicyActionType = (typeof POLICY_ACTION_TYPES)[number];

/** A condition (policies.md §3): exactly one form per object. */
export type PolicyCondition =
  | { always: boolean }
  | { all: PolicyCondition[] }
  | { and: PolicyCondition[] }
  | { any: PolicyCondition[] }
  | { or: PolicyCondition[] }
  | { not: PolicyCondition }
  | PolicyFieldCondition;

export interface PolicyFieldCondition {
  field: string;
  op: PolicyOperator;
  value?: unknown;
}

export type RateLimitKey = 'per_token' | 'per_agent' | 'per_ip' | 'per_user' | 'global';
export type RedactDirection = 'request' | 'response' | 'both';
export type RedactOnMatch = 'redact' | 'block' | 'tokenize';
export type LogActionLevel = 'debug' | 'info' | 'warn' | 'error';
export type DynamicRouteStrategy = 'lowest_cost' | 'lowest_latency' | 'round_robin' | 'least_busy' | 'weighted_random';

/** A routing target (proxy.md §11): at least one key. */
export interface RouteTarget {
  model?: string;
  upstream_url?: string;
  credential_id?: string;
}

/** Transform operations (policies.md §7), discriminated by `type`. */
export type TransformOperation =
  | { type: 'set_header'; name: string; value: string }
  | { type: 'remove_header'; name: string }
  | { type: 'append_system_prompt'; text: string }
  | { type: 'prepend_system_prompt'; text: string }
  | { type: 'regex_replace'; pattern: string; replacement: string; global?: boolean }
  | { type: 'set_body_field'; path: string; value: unknown }
  | { type: 'remove_body_field'; path: string }
  | { type: 'add_to_message_list'; role: string; content: string; position?: 'first' | 'last' | 'before_last' };

/** Actions as written (optional parameters may be absent; their defaults are in policies.md §6). */
export type PolicyAction =
  | { action: 'allow'; stop?: boolean }
  | { action: 'deny'; status?: number; message?: string }
  | { action: 'rate_limit'; window: string; max_requests: number; key?: RateLimitKey }
  | { action: 'throttle'; delay_ms: number }
  | {
      action: 'require_approval';
      mode?: 'wait' | 'async';
      timeout?: string;
      fallback?: 'deny' | 'allow';
      notify?: { type: 'slack' | 'webhook'; channel?: string; url?: string };
    }
  | { action: 'redact'; direction?: RedactDirection; patterns?: string[]; fields?: string[]; on_match?: RedactOnMatch }
  | { action: 'content_filter'; [parameter: string]: unknown }
  | { action: 'external_guardrail'; [parameter: string]: unknown }
  | { action: 'tool_scope'; allowed_tools?: string[]; blocked_tools?: string[]; deny_message?: string }
  | { action: 'validate_schema'; schema: Record<string, unknown> | boolean; not?: boolean; message?: string }
  | { action: 'transform'; operations: TransformOperation[] }
  | { action: 'override'; set_body_fields: Record<string, unknown> }
  | { action: 'log'; level?: LogActionLevel; tags?: Record<string, string> }
  | { action: 'tag'; key: string; value: string }
  | { action: 'webhook'; url: string; timeout_ms?: number; on_fail?: 'allow' | 'log' | 'deny' }
  | { action: 'split'; variants: { weight: number; name?: string; set_body_fields: Record<string, unknown> }[]; experiment?: string }
  | {
      action: 'dynamic_route';
      strategy: DynamicRouteStrategy;
      pool: { model: string; upstream_url: string; credential_id?: string }[];
      fallback?: RouteTarget;
    }
  | {
      action: 'conditional_route';
      branches: { condition: { field: string; op: RouteBranchOperator; value?: unknown }; target: RouteTarget }[];
      fallback?: RouteTarget;
    };

export interface PolicyRule {
  when?: PolicyCondition;
  then: PolicyAction | PolicyAction[];
  async_check?: boolean;
}

/** The retry block (policies.md §8). */
export interface PolicyRetry {
  max_retries?: number;
  base_backoff_ms?: number;
  max_backoff_ms?: number;
  jitter_ms?: number;
  status_codes?: number[];
}

/** `POST /policies` and `POST /policies/validate`. */
export interface CreatePolicyRequest {
  name: string;
  rules: PolicyRule[];
  mode?: PolicyMode;
  phase?: PolicyPhase;
  retry?: PolicyRetry | null;
  buffer_streaming_for_post_flight?: boolean;
  project_id?: string;
}

/** `PUT`/`PATCH /policies/{id}` (partial; the merged result is validated). */
export type UpdatePolicyRequest = Partial<Omit<CreatePolicyRequest, 'project_id'>>;

/** The Policy object (management-api.md). */
export interface Policy {
  id: string;
  project_id: string;
  name: string;
  mode: PolicyMode;
  phase: PolicyPhase;
  rules: PolicyRule[];
  retry: PolicyRetry | null;
  buffer_streaming_for_post_flight: boolean;
  managed: boolean;
  presets: string[];
  is_active: boolean;
  version: number;
  created_at: string;
  updated_at: string;
}

/** One item of `GET /policies/{id}/versions`. */
export interface PolicyVersion {
  id: string;
  policy_id: string;
  version: number;
  name: string;
  mode: PolicyMode;
  phase: PolicyPhase;
  rules: PolicyRule[];
  retry: PolicyRetry | null;
  changed_by: string | null;
  created_at: string;
}

export interface CreatePolicyResponse {
  id: string;
  name: string;
  message: 'Policy created';
}

export interface UpdatePolicyResponse {
  id: string;
  name: string;
  message: 'Policy updated';
}

export interface DeletePolicyResponse {
  id: string;
  deleted: boolean;
}

export interface ValidatePolicyResponse {
  valid: true;
}

/** `outcome` of a shadow violation (data-model.md `audit_logs.shadow_violations`). */
export type ShadowOutcome = 'would_block' | 'would_redact' | 'would_route' | 'would_fire';

/** One item of an audit record's `shadow_violations`. */
export interface ShadowViolation {
  policy_id: string;
  policy: string;
  rule_index: number;
  /** Action names of the rule, in order. */
  actions: string[];
  outcome: ShadowOutcome;
}

/**
 * What became of a fired enforce-mode action on this request: `pending` (matched, not executed
 * yet), `applied` (executed by the policy stage: allow, log, tag), `blocked` (it answered the
 * request), `deferred` (left for the stage that owns it: rate limits, redaction, transforms,
 * routing, …; that stage may update the status), `skipped` (not run: an earlier action answered).
 */
export type FiredActionStatus = 'pending' | 'applied' | 'blocked' | 'deferred' | 'skipped';

/** A fired action with its origin. `action` has its defaults applied. */
export interface FiredPolicyAction {
  policy_id: string;
  policy: string;
  policy_version: number;
  rule_index: number;
  action_index: number;
  action: PolicyAction;
  status: FiredActionStatus;
}

/** One policy that ran on the request (audit `policies_evaluated`). */
export interface EvaluatedPolicy {
  policy_id: string;
  policy: string;
  version: number;
  mode: PolicyMode;
  phase: PolicyPhase;
  /** Indexes of the rules whose condition held. */
  fired_rules: number[];
}

/**
 * A phase's policy evaluation, kept on the proxy context (`ctx.policy`) for later stages and the
 * audit record: the enforce-mode action list in execution order, the async rules' actions, the
 * shadow violations and the tags the `log`/`tag` actions added.
 */
export interface PolicyOutcome {
  phase: PolicyPhase;
  /** `enforce` when an enforce-mode policy ran, `shadow` when only shadow ones did, null when none. */
  mode: PolicyMode | null;
  evaluated: EvaluatedPolicy[];
  actions: FiredPolicyAction[];
  async_actions: FiredPolicyAction[];
  shadow_violations: ShadowViolation[];
  tags: Record<string, string>;
  /**
   * The actions of the shadow-mode rules that fired, in order (status `pending`; a detecting stage
   * may mark them `applied`), so that detecting stages (rate-limit counts, …) can judge what they
   * would have done and raise the matching `shadow_violations` entry (same `policy_id`, `rule_index`).
   */
  shadow_actions?: FiredPolicyAction[];
  /** A policy attached to the token (any phase) reads `usage.*`, so the request counters must be kept. */
  uses_usage?: boolean;
}

/** One rule of a shadow report. */
export interface ShadowReportRule {
  rule_index: number;
  /** Action names of the rule (as recorded by the latest request it fired on). */
  actions: string[];
  /** Requests the rule fired on. */
  count: number;
  /** Of those, requests it would have blocked (outcome `would_block`: deny, a rate limit over its count, …). */
  would_block: number;
}

/** `GET /policies/{id}/shadow-report` (management-api.md "Policies"), computed from audit `shadow_violations`. */
export interface ShadowReport {
  policy_id: string;
  from: string;
  to: string;
  /** Requests in the range on which the policy was evaluated. */
  total_requests: number;
  /** Of those, requests on which at least one of its rules fired in shadow mode. */
  would_have_fired: number;
  by_rule: ShadowReportRule[];
}

/**
 * One item of an audit record's `async_findings` (policies.md §9): what an `async_check` rule found
 * after the response was sent. Blocking effects are never applied; the finding is all that remains.
 */
export interface AsyncFinding {
  policy_id: string;
  policy: string;
  rule_index: number;
  action: PolicyActionType;
  phase: PolicyPhase;
  /** What the check found, in a few words. */
  reason: string;
  /** `redact`: what matched (`email`, `custom_0`, `field:password`). */
  detected?: string[];
}
