/** OIDC providers, API bearer JWTs and portal SSO (identity.md §4). */
import type { UserRole } from './users';
import type { WhoAmIResponse } from './identity';

/** Which claims carry the role, scopes, groups and profile, and how groups map to roles and teams. */
export interface OidcClaimMapping {
  /** Claim holding the role (a string, or an array such as a groups claim). */
  role?: string;
  /** Claim values → roles, e.g. `{"ailink-admins": "admin"}`; when set, only mapped values count. */
  role_values?: Record<string, string>;
  /** Claim holding scopes: an array, or a string separated by spaces or commas. */
  scopes?: string;
  /** Claim holding group names (default `groups`). */
  groups?: string;
  /** Group name → team id: drives team membership. */
  group_teams?: Record<string, string>;
  /** Profile claims (defaults `email`, `name`). */
  email?: string;
  name?: string;
}

/** An OIDC provider as the API returns it: never the client secret. */
export interface OidcProvider {
  id: string;
  org_id: string;
  name: string;
  issuer_url: string;
  client_id: string;
  /** Whether a client secret is stored (an addition to the spec's fields; the secret is write-only). */
  has_client_secret: boolean;
  jwks_uri: string | null;
  audience: string | null;
  scopes: string;
  claim_mapping: OidcClaimMapping;
  default_role: UserRole;
  default_scopes: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** `POST /oidc/providers`. `client_secret` is write-only (stored encrypted). */
export interface CreateOidcProviderRequest {
  name: string;
  issuer_url: string;
  client_id: string;
  client_secret?: string | null;
  jwks_uri?: string | null;
  audience?: string | null;
  scopes?: string;
  claim_mapping?: OidcClaimMapping;
  default_role?: UserRole | 'viewer';
  default_scopes?: string[];
  enabled?: boolean;
}

/** `PATCH`/`PUT /oidc/providers/{id}`: partial; `client_secret: null` removes the stored secret. */
export type UpdateOidcProviderRequest = Partial<CreateOidcProviderRequest>;

/** `POST /oidc/providers/test {issuer_url}`: fetches the discovery document, never stores anything. */
export interface TestOidcProviderResponse {
  ok: boolean;
  issuer?: string;
  jwks_uri?: string;
  authorization_endpoint?: string;
  error?: string;
}

/** `GET /auth/sso/providers` (public): enabled providers, id and display name only. */
export interface SsoProviderSummary {
  id: string;
  name: string;
}

/** `GET /auth/session`: whoami plus the session's CSRF token (send it as `X-CSRF-Token` on unsafe methods) and expiry. */
export interface PortalSessionResponse extends WhoAmIResponse {
  csrf_token: string;
  expires_at: string;
}

/** The portal session cookie and the CSRF header (identity.md §1, row 5). */
export const PORTAL_SESSION_COOKIE = 'ailink_session';
export const CSRF_HEADER = 'X-CSRF-Token';
