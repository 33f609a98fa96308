/** Display roles returned by `GET /api/v1/auth/whoami` (identity.md §1). */
export type RoleName = 'SuperAdmin' | 'Admin' | 'Member' | 'ReadOnly';

export type AuthMethod = 'admin_key' | 'api_key' | 'oidc' | 'session';

export interface WhoAmIResponse {
  org_id: string;
  user_id: string | null;
  role: RoleName;
  scopes: string[];
  auth_method: AuthMethod;
  key_id?: string;
  email?: string;
  /** Set when the key acts for a team (an addition to the spec's fields). */
  team_id?: string;
}

/** Management scopes (identity.md §2). `*` and `{resource}:*` are wildcards. */
export const MANAGEMENT_SCOPES = [
  'tokens:read',
  'tokens:write',
  'policies:read',
  'policies:write',
  'credentials:read',
  'credentials:write',
  'projects:read',
  'projects:write',
  'approvals:read',
  'approvals:write',
  'audit:read',
  'sessions:write',
  'services:read',
  'services:write',
  'notifications:read',
  'notifications:write',
  'webhooks:read',
  'webhooks:write',
  'pricing:read',
  'pricing:write',
  'guardrails:read',
  'guardrails:write',
  'mcp:read',
  'mcp:write',
  'prompts:read',
  'prompts:write',
  'experiments:read',
  'experiments:write',
  'config:read',
  'config:write',
  'analytics:read',
  'billing:read',
  'system:read',
  'system:write',
  'keys:manage',
  'pii:rehydrate',
] as const;

export type ManagementScope = (typeof MANAGEMENT_SCOPES)[number];
