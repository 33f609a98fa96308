/** Virtual tokens (management-api.md "Tokens"; proxy.md §2, §11, §13; audit-and-observability.md §1). */

/** Audit log levels: 0 `metadata`, 1 `redacted` (default), 2 `full`. */
export type LogLevelName = 'metadata' | 'redacted' | 'full';
export type LogLevel = 0 | 1 | 2;

export const LOG_LEVEL_NAMES: readonly LogLevelName[] = ['metadata', 'redacted', 'full'];
export const DEFAULT_LOG_LEVEL_NAME: LogLevelName = 'redacted';

/** The bearer secret's prefix (`ailink_v1_…`); public ids start with `tok_`. */
export const VIRTUAL_TOKEN_PREFIX = 'ailink_v1_';

/** Per-token circuit breaker (proxy.md §13). */
export interface CircuitBreakerConfig {
  enabled: boolean;
  failure_threshold: number;
  recovery_cooldown_secs: number;
  half_open_max_requests: number;
  /** In (0, 1]; absent or null: the rate rule is off. */
  failure_rate_threshold?: number | null;
  min_sample_size?: number;
}

export const CIRCUIT_BREAKER_DEFAULTS: CircuitBreakerConfig = {
  enabled: true,
  failure_threshold: 3,
  recovery_cooldown_secs: 30,
  half_open_max_requests: 1,
};

/** `PATCH /tokens/{id}/circuit-breaker`: the three integers must be ≥ 1 (else 422 `invalid_config`). */
export const CIRCUIT_BREAKER_MIN_INTEGER = 1;

/** One weighted target (proxy.md §11). */
export interface TokenUpstream {
  url: string;
  weight?: number;
  priority?: number;
  credential_id?: string | null;
}

/** The Token object of every token response. `id` is the public id (`tok_…`), never the secret. */
export interface Token {
  id: string;
  masked: string;
  project_id: string;
  name: string;
  credential_id: string | null;
  upstream_url: string;
  upstreams: TokenUpstream[] | null;
  scopes: string[] | null;
  policy_ids: string[];
  is_active: boolean;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  log_level: LogLevel;
  circuit_breaker: CircuitBreakerConfig | null;
  allowed_models: string[] | null;
  allowed_model_group_ids: string[] | null;
  team_id: string | null;
  tags: Record<string, string> | null;
  mcp_allowed_tools: string[] | null;
  mcp_blocked_tools: string[] | null;
  suspended_at: string | null;
  suspended_reason: string | null;
}

/** `GET /tokens` query. */
export interface TokenListQuery {
  project_id?: string;
  team_id?: string;
  include_inactive?: boolean;
  limit?: number;
  offset?: number;
}

/** `POST /tokens`. `log_level_name` wins over `log_level`. */
export interface CreateTokenRequest {
  name: string;
  upstream_url: string;
  credential_id?: string | null;
  project_id?: string;
  policy_ids?: string[];
  log_level?: LogLevel;
  log_level_name?: LogLevelName;
  circuit_breaker?: Partial<CircuitBreakerConfig>;
  upstreams?: TokenUpstream[];
  fallback_url?: string;
  allowed_models?: string[];
  allowed_model_group_ids?: string[];
  team_id?: string;
  tags?: Record<string, string>;
  scopes?: string[];
  /** RFC 3339; must be in the future (else 422). */
  expires_at?: string;
  mcp_allowed_tools?: string[];
  mcp_blocked_tools?: string[];
}

/** `POST /tokens` → 201. `token_id` is the bearer secret: it is returned this once only. */
export interface CreateTokenResponse {
  token_id: string;
  id: string;
  masked: string;
  name: string;
  message: string;
}

/** `PATCH /tokens/{id}`: any create field except `project_id` (partial), plus `suspended`. */
export type UpdateTokenRequest = Partial<Omit<CreateTokenRequest, 'project_id' | 'expires_at'>> & {
  expires_at?: string | null;
  suspended?: boolean;
};
