import { HttpClient, HttpErrorResponse, HttpHeaders, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import {
  AUDIT_NEXT_CURSOR_HEADER,
  AUDIT_STREAM_EVENT,
  type AuditDetail,
  type AuditFilters,
  type AuditListQuery,
  type AuditSummary,
  type ApiKey,
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
  type CircuitBreakerConfig,
  type CreatePolicyRequest,
  type CreatePolicyResponse,
  type CreateCredentialRequest,
  type CreateCredentialResponse,
  type CreateServiceRequest,
  type CreateTokenRequest,
  type CreateTokenResponse,
  type CredentialMeta,
  type DeleteCredentialResponse,
  type DeleteServiceResponse,
  type DeletePolicyResponse,
  type Policy,
  type PolicyVersion,
  type ShadowReport,
  type UpdatePolicyRequest,
  type UpdatePolicyResponse,
  type ValidatePolicyResponse,
  type NotReadyResponse,
  type ProjectSummary,
  type ReadinessResponse,
  type RotateCredentialRequest,
  type RotateCredentialResponse,
  type Service,
  type Token,
  type TokenListQuery,
  type UpdateCredentialRequest,
  type UpdateServiceRequest,
  type UpdateTokenRequest,
  type WhoAmIResponse,
  type AddTeamMemberRequest,
  type CreateModelAccessGroupRequest,
  type CreateOidcProviderRequest,
  type CreateTeamRequest,
  type CreateUserRequest,
  type ModelAccessGroup,
  type OidcProvider,
  type PortalSessionResponse,
  type SsoProviderSummary,
  type Team,
  type TeamMember,
  type TeamSpendRow,
  type TestOidcProviderResponse,
  type UpdateModelAccessGroupRequest,
  type UpdateOidcProviderRequest,
  type UpdateTeamRequest,
  type User,
} from '@ailink/shared-contracts';
import { Observable, catchError, filter, map, of, throwError } from 'rxjs';
import { ADMIN_KEY_HEADER, credentialHeaders } from './admin-key-header';
import { toApiError } from './api-error';
import { SseClient } from './sse-client';

/** Management API base (spec README, "Naming"); the portal is served same-origin by the gateway. */
export const API_BASE = '/api/v1';
export { ADMIN_KEY_HEADER };

/**
 * Typed client for the gateway endpoints the portal uses. Every failure surfaces as an `ApiError`
 * (the interceptor maps `/api/` errors; the client maps the ops endpoints itself).
 */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  private readonly http = inject(HttpClient);
  private readonly sse = inject(SseClient);

  /**
   * `GET /readyz`. A 503 carries `{"status":"unavailable","postgres","redis","version","mode"}`:
   * that is a readiness answer, so it is returned as data rather than thrown.
   */
  readiness(): Observable<ReadinessResponse> {
    return this.http.get<ReadinessResponse>('/readyz').pipe(
      catchError((error: unknown) => {
        if (error instanceof HttpErrorResponse && error.status === 503 && isNotReady(error.error)) {
          return of(error.error);
        }
        return throwError(() => toApiError(error));
      }),
    );
  }

  /**
   * `GET /api/v1/auth/whoami`. With `adminKey` (the admin key or an `ak_live_…` API key) the key is sent explicitly (used to verify a key
   * before it becomes the session's); without it the interceptor adds the session's key.
   */
  whoami(adminKey?: string): Observable<WhoAmIResponse> {
    const headers = adminKey ? new HttpHeaders(credentialHeaders(adminKey)) : undefined;
    return this.http.get<WhoAmIResponse>(`${API_BASE}/auth/whoami`, { headers });
  }

  /** `GET /api/v1/projects` (a bare array). */
  projects(): Observable<ProjectSummary[]> {
    return this.http.get<ProjectSummary[]>(`${API_BASE}/projects`);
  }

  // --- API keys ----------------------------------------------------------------------------------

  /** `GET /api/v1/auth/keys` → `[ApiKey]`, newest first (never a key or its hash). */
  apiKeys(): Observable<ApiKey[]> {
    return this.http.get<ApiKey[]>(`${API_BASE}/auth/keys`);
  }

  /**
   * `POST /api/v1/auth/keys` (201). The response's `key` is returned this once: callers show it and
   * drop it, never store it.
   */
  createApiKey(body: CreateApiKeyRequest): Observable<CreateApiKeyResponse> {
    return this.http.post<CreateApiKeyResponse>(`${API_BASE}/auth/keys`, body);
  }

  /** `DELETE /api/v1/auth/keys/{id}`: revokes (204); 422 `last_admin_key` for the last admin key. */
  revokeApiKey(id: string): Observable<void> {
    return this.http.delete<unknown>(`${API_BASE}/auth/keys/${seg(id)}`).pipe(map(() => undefined));
  }

  // --- Credentials -------------------------------------------------------------------------------

  /** `GET /api/v1/credentials` → `[CredentialMeta]` (never a secret). */
  credentials(): Observable<CredentialMeta[]> {
    return this.http.get<CredentialMeta[]>(`${API_BASE}/credentials`);
  }

  /** `GET /api/v1/credentials/{id}`. */
  credential(id: string): Observable<CredentialMeta> {
    return this.http.get<CredentialMeta>(`${API_BASE}/credentials/${seg(id)}`);
  }

  /** `POST /api/v1/credentials` (201). The secret travels in this body and nowhere else. */
  createCredential(body: CreateCredentialRequest): Observable<CreateCredentialResponse> {
    return this.http.post<CreateCredentialResponse>(`${API_BASE}/credentials`, body);
  }

  /** `PATCH /api/v1/credentials/{id}`. */
  updateCredential(id: string, body: UpdateCredentialRequest): Observable<CredentialMeta> {
    return this.http.patch<CredentialMeta>(`${API_BASE}/credentials/${seg(id)}`, body);
  }

  /** `DELETE /api/v1/credentials/{id}` (soft delete) → `{id, deleted}`. */
  deleteCredential(id: string): Observable<DeleteCredentialResponse> {
    return this.http.delete<DeleteCredentialResponse>(`${API_BASE}/credentials/${seg(id)}`);
  }

  /** `POST /api/v1/credentials/{id}/rotate`: a new secret, or (empty body) a re-encryption under a new key. */
  rotateCredential(id: string, body: RotateCredentialRequest = {}): Observable<RotateCredentialResponse> {
    return this.http.post<RotateCredentialResponse>(`${API_BASE}/credentials/${seg(id)}/rotate`, body);
  }

  // --- Tokens ------------------------------------------------------------------------------------

  /** `GET /api/v1/tokens` → `[Token]`, newest first. */
  tokens(query: TokenListQuery = {}): Observable<Token[]> {
    return this.http.get<Token[]>(`${API_BASE}/tokens`, { params: toParams(query) });
  }

  /** `GET /api/v1/tokens/{id}` (public id `tok_…`). */
  token(id: string): Observable<Token> {
    return this.http.get<Token>(`${API_BASE}/tokens/${seg(id)}`);
  }

  /**
   * `POST /api/v1/tokens` (201). The response's `token_id` is the bearer secret, returned this once:
   * callers show it and drop it, never store it.
   */
  createToken(body: CreateTokenRequest): Observable<CreateTokenResponse> {
    return this.http.post<CreateTokenResponse>(`${API_BASE}/tokens`, body);
  }

  /** `PATCH /api/v1/tokens/{id}` (partial). */
  updateToken(id: string, body: UpdateTokenRequest): Observable<Token> {
    return this.http.patch<Token>(`${API_BASE}/tokens/${seg(id)}`, body);
  }

  /** `DELETE /api/v1/tokens/{id}`: revokes (204, idempotent). */
  revokeToken(id: string): Observable<void> {
    return this.http.delete<unknown>(`${API_BASE}/tokens/${seg(id)}`).pipe(map(() => undefined));
  }

  /** `GET /api/v1/tokens/{id}/circuit-breaker`: the stored config or the defaults. */
  circuitBreaker(id: string): Observable<CircuitBreakerConfig> {
    return this.http.get<CircuitBreakerConfig>(`${API_BASE}/tokens/${seg(id)}/circuit-breaker`);
  }

  /** `PATCH /api/v1/tokens/{id}/circuit-breaker` → the stored config; 422 `invalid_config` when out of range. */
  updateCircuitBreaker(id: string, body: Partial<CircuitBreakerConfig>): Observable<CircuitBreakerConfig> {
    return this.http.patch<CircuitBreakerConfig>(`${API_BASE}/tokens/${seg(id)}/circuit-breaker`, body);
  }

  // --- Services ----------------------------------------------------------------------------------

  /** `GET /api/v1/services` → `[Service]`. */
  services(): Observable<Service[]> {
    return this.http.get<Service[]>(`${API_BASE}/services`);
  }

  /** `GET /api/v1/services/{id}`. */
  service(id: string): Observable<Service> {
    return this.http.get<Service>(`${API_BASE}/services/${seg(id)}`);
  }

  /** `POST /api/v1/services` (201); 422 when the base URL is refused by the SSRF rules. */
  createService(body: CreateServiceRequest): Observable<Service> {
    return this.http.post<Service>(`${API_BASE}/services`, body);
  }

  /** `PATCH /api/v1/services/{id}` (partial). */
  updateService(id: string, body: UpdateServiceRequest): Observable<Service> {
    return this.http.patch<Service>(`${API_BASE}/services/${seg(id)}`, body);
  }

  /** `DELETE /api/v1/services/{id}` → `{deleted}`. */
  deleteService(id: string): Observable<DeleteServiceResponse> {
    return this.http.delete<DeleteServiceResponse>(`${API_BASE}/services/${seg(id)}`);
  }

  // --- Policies ----------------------------------------------------------------------------------

  /** `GET /api/v1/policies` → `[Policy]`, newest first (active ones). */
  policies(): Observable<Policy[]> {
    return this.http.get<Policy[]>(`${API_BASE}/policies`);
  }

  /** `GET /api/v1/policies/{id}`. */
  policy(id: string): Observable<Policy> {
    return this.http.get<Policy>(`${API_BASE}/policies/${seg(id)}`);
  }

  /** `POST /api/v1/policies` (201); 409 name clash; 422 `validation_error` with every problem by JSON path. */
  createPolicy(body: CreatePolicyRequest): Observable<CreatePolicyResponse> {
    return this.http.post<CreatePolicyResponse>(`${API_BASE}/policies`, body);
  }

  /** `PATCH /api/v1/policies/{id}` (partial; the merged document is validated, a new version is written). */
  updatePolicy(id: string, body: UpdatePolicyRequest): Observable<UpdatePolicyResponse> {
    return this.http.patch<UpdatePolicyResponse>(`${API_BASE}/policies/${seg(id)}`, body);
  }

  /** `POST /api/v1/policies/validate` → `{valid: true}`, or 422 with every problem. Stores nothing. */
  validatePolicy(body: CreatePolicyRequest): Observable<ValidatePolicyResponse> {
    return this.http.post<ValidatePolicyResponse>(`${API_BASE}/policies/validate`, body);
  }

  /** `DELETE /api/v1/policies/{id}`: soft delete, detached from every token. */
  deletePolicy(id: string): Observable<DeletePolicyResponse> {
    return this.http.delete<DeletePolicyResponse>(`${API_BASE}/policies/${seg(id)}`);
  }

  /** `GET /api/v1/policies/{id}/versions` → newest first. */
  policyVersions(id: string): Observable<PolicyVersion[]> {
    return this.http.get<PolicyVersion[]>(`${API_BASE}/policies/${seg(id)}/versions`);
  }

  /** `GET /api/v1/policies/{id}/shadow-report?from&to` (RFC 3339; the API defaults to the last 24 h). */
  shadowReport(id: string, range: { from?: string; to?: string } = {}): Observable<ShadowReport> {
    return this.http.get<ShadowReport>(`${API_BASE}/policies/${seg(id)}/shadow-report`, { params: toParams(range) });
  }

  // --- Audit -------------------------------------------------------------------------------------

  /** `GET /api/v1/audit` → one page, newest first, with the cursor of the next page (`X-Next-Cursor`, null on the last). */
  audit(query: AuditListQuery = {}): Observable<AuditPage> {
    return this.http
      .get<AuditSummary[]>(`${API_BASE}/audit`, { params: toParams(query), observe: 'response' })
      .pipe(map((response) => ({ items: response.body ?? [], nextCursor: response.headers.get(AUDIT_NEXT_CURSOR_HEADER) || null })));
  }

  /** `GET /api/v1/audit/{id}` → the detail, with bodies and headers when the token's log level kept them. */
  auditRecord(id: string): Observable<AuditDetail> {
    return this.http.get<AuditDetail>(`${API_BASE}/audit/${seg(id)}`);
  }

  /**
   * `GET /api/v1/audit/stream` (SSE): each `audit` event's array of new records. Unsubscribing closes
   * the connection. Heartbeats and other events are skipped.
   */
  auditStream(filters: AuditFilters = {}): Observable<AuditSummary[]> {
    return this.sse.open(`${API_BASE}/audit/stream`, toParams(filters)).pipe(
      filter((message) => message.event === AUDIT_STREAM_EVENT),
      map((message) => parseJson(message.data)),
      filter((records): records is AuditSummary[] => Array.isArray(records)),
    );
  }
  // --- SSO and portal sessions -------------------------------------------------------------------

  /** `GET /api/v1/auth/sso/providers` (public): enabled providers' ids and names, for the sign-in page. */
  ssoProviders(): Observable<SsoProviderSummary[]> {
    return this.http.get<SsoProviderSummary[]>(`${API_BASE}/auth/sso/providers`);
  }

  /** Where the browser goes to sign in with a provider (a full-page navigation, not an XHR). */
  ssoLoginUrl(providerId: string, returnUrl: string): string {
    return `${API_BASE}/auth/sso/${seg(providerId)}/login?redirect=${encodeURIComponent(returnUrl)}`;
  }

  /** `GET /api/v1/auth/session`: whoami plus the CSRF token of the cookie session (401 without one). */
  portalSession(): Observable<PortalSessionResponse> {
    return this.http.get<PortalSessionResponse>(`${API_BASE}/auth/session`);
  }

  /** `POST /api/v1/auth/logout` (204) with the session's CSRF token. */
  logout(csrfToken: string): Observable<void> {
    return this.http
      .post<unknown>(`${API_BASE}/auth/logout`, null, { headers: new HttpHeaders({ 'X-CSRF-Token': csrfToken }) })
      .pipe(map(() => undefined));
  }

  // --- Users -------------------------------------------------------------------------------------

  /** `GET /api/v1/users` → `[User]`. */
  users(query: { limit?: number; offset?: number } = {}): Observable<User[]> {
    return this.http.get<User[]>(`${API_BASE}/users`, { params: toParams(query) });
  }

  /** `POST /api/v1/users` (201): a user created ahead of its first SSO sign-in. */
  createUser(body: CreateUserRequest): Observable<User> {
    return this.http.post<User>(`${API_BASE}/users`, body);
  }

  // --- Teams -------------------------------------------------------------------------------------

  /** `GET /api/v1/teams` → `[Team]` sorted by name. */
  teams(): Observable<Team[]> {
    return this.http.get<Team[]>(`${API_BASE}/teams`);
  }

  /** `POST /api/v1/teams` (200). */
  createTeam(body: CreateTeamRequest): Observable<Team> {
    return this.http.post<Team>(`${API_BASE}/teams`, body);
  }

  /** `PUT /api/v1/teams/{id}` (partial; null clears a field). */
  updateTeam(id: string, body: UpdateTeamRequest): Observable<Team> {
    return this.http.put<Team>(`${API_BASE}/teams/${seg(id)}`, body);
  }

  /** `DELETE /api/v1/teams/{id}` (204). */
  deleteTeam(id: string): Observable<void> {
    return this.http.delete<unknown>(`${API_BASE}/teams/${seg(id)}`).pipe(map(() => undefined));
  }

  /** `GET /api/v1/teams/{id}/members` → `[Member]`. */
  teamMembers(id: string): Observable<TeamMember[]> {
    return this.http.get<TeamMember[]>(`${API_BASE}/teams/${seg(id)}/members`);
  }

  /** `POST /api/v1/teams/{id}/members` → Member (409 already a member, 422 unknown user). */
  addTeamMember(id: string, body: AddTeamMemberRequest): Observable<TeamMember> {
    return this.http.post<TeamMember>(`${API_BASE}/teams/${seg(id)}/members`, body);
  }

  /** `DELETE /api/v1/teams/{id}/members/{user_id}` (204). */
  removeTeamMember(id: string, userId: string): Observable<void> {
    return this.http.delete<unknown>(`${API_BASE}/teams/${seg(id)}/members/${seg(userId)}`).pipe(map(() => undefined));
  }

  /** `GET /api/v1/teams/{id}/spend` → the last 30 daily rows, newest first. */
  teamSpend(id: string): Observable<TeamSpendRow[]> {
    return this.http.get<TeamSpendRow[]>(`${API_BASE}/teams/${seg(id)}/spend`);
  }

  // --- Model access groups -----------------------------------------------------------------------

  /** `GET /api/v1/model-access-groups` → `[Group]` sorted by name. */
  modelAccessGroups(): Observable<ModelAccessGroup[]> {
    return this.http.get<ModelAccessGroup[]>(`${API_BASE}/model-access-groups`);
  }

  /** `POST /api/v1/model-access-groups` (200). */
  createModelAccessGroup(body: CreateModelAccessGroupRequest): Observable<ModelAccessGroup> {
    return this.http.post<ModelAccessGroup>(`${API_BASE}/model-access-groups`, body);
  }

  /** `PUT /api/v1/model-access-groups/{id}` (partial). */
  updateModelAccessGroup(id: string, body: UpdateModelAccessGroupRequest): Observable<ModelAccessGroup> {
    return this.http.put<ModelAccessGroup>(`${API_BASE}/model-access-groups/${seg(id)}`, body);
  }

  /** `DELETE /api/v1/model-access-groups/{id}` (204). */
  deleteModelAccessGroup(id: string): Observable<void> {
    return this.http.delete<unknown>(`${API_BASE}/model-access-groups/${seg(id)}`).pipe(map(() => undefined));
  }

  // --- OIDC providers ----------------------------------------------------------------------------

  /** `GET /api/v1/oidc/providers` → `[OidcProvider]` (never a client secret). */
  oidcProviders(): Observable<OidcProvider[]> {
    return this.http.get<OidcProvider[]>(`${API_BASE}/oidc/providers`);
  }

  /** `POST /api/v1/oidc/providers` (201). The client secret travels in this body and nowhere else. */
  createOidcProvider(body: CreateOidcProviderRequest): Observable<OidcProvider> {
    return this.http.post<OidcProvider>(`${API_BASE}/oidc/providers`, body);
  }

  /** `PATCH /api/v1/oidc/providers/{id}` (partial; `client_secret: null` removes it). */
  updateOidcProvider(id: string, body: UpdateOidcProviderRequest): Observable<OidcProvider> {
    return this.http.patch<OidcProvider>(`${API_BASE}/oidc/providers/${seg(id)}`, body);
  }

  /** `DELETE /api/v1/oidc/providers/{id}` (204). */
  deleteOidcProvider(id: string): Observable<void> {
    return this.http.delete<unknown>(`${API_BASE}/oidc/providers/${seg(id)}`).pipe(map(() => undefined));
  }

  /** `POST /api/v1/oidc/providers/test`: fetches the issuer's discovery document; stores nothing. */
  testOidcProvider(issuerUrl: string): Observable<TestOidcProviderResponse> {
    return this.http.post<TestOidcProviderResponse>(`${API_BASE}/oidc/providers/test`, { issuer_url: issuerUrl });
  }
}

/** One page of `GET /audit`. */
export interface AuditPage {
  readonly items: AuditSummary[];
  /** The `X-Next-Cursor` header: pass it as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** Query parameters without the unset ones (undefined, null, empty strings). */
function toParams(query: object): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params = params.set(key, String(value));
  }
  return params;
}

/** JSON or undefined: one malformed event must not end a live view. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** One path segment, encoded (ids are UUIDs or `tok_…`, but never trust a value into a path). */
function seg(id: string): string {
  return encodeURIComponent(id);
}

function isNotReady(body: unknown): body is NotReadyResponse {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { status?: unknown }).status === 'unavailable' &&
    typeof (body as { version?: unknown }).version === 'string'
  );
}
