/** Teams, members and model access groups (identity.md §6–§7; management-api.md "Model aliases, access groups, teams"). */

export const BUDGET_DURATIONS = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type BudgetDuration = (typeof BUDGET_DURATIONS)[number];

export const TEAM_MEMBER_ROLES = ['admin', 'member', 'viewer'] as const;
export type TeamMemberRole = (typeof TEAM_MEMBER_ROLES)[number];

/** How a membership came to be: added by hand, or granted by an OIDC provider's group → team mapping. */
export type TeamMemberSource = 'manual' | 'oidc';

/** Organisation-level team. `max_budget_usd` is a decimal string; `allowed_models` null = unrestricted, `[]` = none. */
export interface Team {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  max_budget_usd: string | null;
  budget_duration: BudgetDuration | null;
  allowed_models: string[] | null;
  tags: Record<string, string>;
  is_active: boolean;
  created_at: string;
  updated_at: string;
}

/** `POST /teams`. Money is accepted as a number or a decimal string. */
export interface CreateTeamRequest {
  name: string;
  description?: string | null;
  max_budget_usd?: number | string | null;
  budget_duration?: BudgetDuration | null;
  allowed_models?: string[] | null;
  tags?: Record<string, string>;
}

/** `PUT /teams/{id}`: partial; an explicit null clears a nullable field. */
export interface UpdateTeamRequest extends Partial<CreateTeamRequest> {
  is_active?: boolean;
}

export interface TeamMember {
  id: string;
  team_id: string;
  user_id: string;
  role: TeamMemberRole;
  source: TeamMemberSource;
  created_at: string;
  /** Additions to the spec's fields, for display. */
  email?: string | null;
  name?: string | null;
}

/** `POST /teams/{id}/members`. */
export interface AddTeamMemberRequest {
  user_id: string;
  role?: TeamMemberRole;
}

/** One `team_spend` row of `GET /teams/{id}/spend` (one per UTC day, newest first). */
export interface TeamSpendRow {
  team_id: string;
  period: string;
  total_requests: number;
  total_tokens_used: number;
  total_spend_usd: string;
  updated_at: string;
}

/** Project-level model access group: `models` are case-insensitive globs (`*` any run, `?` one character). */
export interface ModelAccessGroup {
  id: string;
  project_id: string;
  name: string;
  description: string | null;
  models: string[];
  created_at: string;
  updated_at: string;
}

/** `POST /model-access-groups`. */
export interface CreateModelAccessGroupRequest {
  name: string;
  description?: string | null;
  models: string[];
  project_id?: string;
}

/** `PUT /model-access-groups/{id}`: partial. */
export type UpdateModelAccessGroupRequest = Partial<Omit<CreateModelAccessGroupRequest, 'project_id'>>;
