/** Pricing, spend caps and budgets (vault-and-spend.md §4–6; management-api.md "Tokens", "Pricing", "Projects"). */

export const SPEND_PROVIDER_KEYS = [
  'openai',
  'azure_openai',
  'anthropic',
  'google',
  'bedrock',
  'groq',
  'mistral',
  'together',
  'cohere',
  'ollama',
  'unknown',
  '*',
] as const;

/** `GET /pricing` row. Prices are decimal strings (USD per million tokens); `org_id` null = built-in. */
export interface PricingRow {
  id: string;
  org_id: string | null;
  provider: string;
  model_pattern: string;
  input_per_m: string;
  output_per_m: string;
  cached_input_per_m: string | null;
  max_output_tokens: number | null;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

export type TokenSpendPeriod = 'daily' | 'monthly' | 'lifetime';
export const TOKEN_SPEND_PERIODS: readonly TokenSpendPeriod[] = ['daily', 'monthly', 'lifetime'];

/** `GET /tokens/{id}/spend`: numbers; limits null when unset. */
export interface TokenSpendStatus {
  daily_limit_usd: number | null;
  monthly_limit_usd: number | null;
  lifetime_limit_usd: number | null;
  current_daily_usd: number;
  current_monthly_usd: number;
  current_lifetime_usd: number;
}

/** `GET /tokens/{id}/spend/history`: one row per UTC day, oldest first. */
export interface TokenSpendDay {
  date: string;
  spend_usd: number;
  requests: number;
}

export type ProjectBudgetPeriod = 'daily' | 'weekly' | 'monthly';
export const PROJECT_BUDGET_PERIODS: readonly ProjectBudgetPeriod[] = ['daily', 'weekly', 'monthly'];

/** `GET /projects/{id}/budget`. */
export interface ProjectBudget {
  project_id: string;
  warn_threshold_usd: string | null;
  hard_cap_usd: string | null;
  reset_period: ProjectBudgetPeriod;
  current_usd: number;
  period_key: string;
}

/** Response headers reporting what is left of each cap after this request's reservation (proxy.md §5). */
export const BUDGET_REMAINING_HEADER_PREFIX = 'x-ailink-budget-remaining-';

export type SessionStatus = 'active' | 'paused' | 'completed';
export const SESSION_STATUSES: readonly SessionStatus[] = ['active', 'paused', 'completed'];

/** `GET /sessions/{id}/entity`: the lifecycle row of a session (audit-and-observability.md §4). */
export interface SessionEntityResponse {
  id: string;
  session_id: string;
  project_id: string;
  token_id: string | null;
  status: SessionStatus;
  spend_cap_usd: string | null;
  total_cost_usd: string;
  total_tokens: number;
  total_requests: number;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

/** `PUT /tokens/{id}/spend` (204; 422 bad period or `limit_usd` ≤ 0). `limit_usd` may be a number or a decimal string. */
export interface PutTokenSpendCapRequest {
  period: TokenSpendPeriod;
  limit_usd: number | string;
}

/**
 * `PUT /pricing`: upsert on `(org, provider, model_pattern)`. Prices are USD per million tokens, as
 * numbers or decimal strings; `cached_input_per_m` null = the input price. `builtin: true` (superadmin
 * only) writes the built-in row instead of an override.
 */
export interface PutPricingRequest {
  provider: string;
  model_pattern: string;
  input_per_m: number | string;
  output_per_m: number | string;
  cached_input_per_m?: number | string | null;
  max_output_tokens?: number | null;
  builtin?: boolean;
}

/** `PUT /pricing` response. */
export interface PutPricingResponse {
  success: true;
  id: string;
}

/** `DELETE /pricing/{id}` response (soft delete). */
export interface DeletePricingResponse {
  id: string;
  deleted: true;
}

/** `PATCH /sessions/{id}/status` (`active ↔ paused`, any → `completed`; `completed` is terminal). */
export interface SessionStatusRequest {
  status: SessionStatus;
}

/** `PUT /sessions/{id}/spend-cap` (USD as a number or decimal string; null removes the cap). */
export interface SessionSpendCapRequest {
  spend_cap_usd: number | string | null;
}
