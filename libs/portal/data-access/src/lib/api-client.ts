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
  type CreateCredentialRequest,
  type CreateCredentialResponse,
  type CreateServiceRequest,
  type CreateTokenRequest,
  type CreateTokenResponse,
  type CredentialMeta,
  type DeleteCredentialResponse,
  type DeleteServiceResponse,
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
