import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type {
  DeletePricingResponse,
  PricingRow,
  PutPricingRequest,
  PutPricingResponse,
  PutTokenSpendCapRequest,
  SessionEntityResponse,
  SessionSpendCapRequest,
  SessionStatus,
  TokenSpendDay,
  TokenSpendPeriod,
  TokenSpendStatus,
} from '@ailink/shared-contracts';
import { Observable, map } from 'rxjs';
import { API_BASE } from './api-client';

/**
 * Token spend caps, the price table and session lifecycle (management-api.md "Tokens", "Pricing",
 * "Approvals, audit, sessions"; vault-and-spend.md §4–6). Failures surface as `ApiError`s through
 * the interceptor, like every `/api/` call.
 */
@Injectable({ providedIn: 'root' })
export class SpendClient {
  private readonly http = inject(HttpClient);

  // --- Token spend --------------------------------------------------------------------------------

  /** `GET /api/v1/tokens/{id}/spend` → caps (null when unset) and current daily/monthly/lifetime spend. */
  tokenSpend(tokenId: string): Observable<TokenSpendStatus> {
    return this.http.get<TokenSpendStatus>(`${API_BASE}/tokens/${seg(tokenId)}/spend`);
  }

  /** `PUT /api/v1/tokens/{id}/spend` (204); 422 `validation_error` for a bad period or a limit ≤ 0. */
  setTokenSpendCap(tokenId: string, body: PutTokenSpendCapRequest): Observable<void> {
    return this.http.put<unknown>(`${API_BASE}/tokens/${seg(tokenId)}/spend`, body).pipe(map(() => undefined));
  }

  /** `DELETE /api/v1/tokens/{id}/spend/{period}`: removes the cap of one period (204, idempotent); the spend stays recorded. */
  removeTokenSpendCap(tokenId: string, period: TokenSpendPeriod): Observable<void> {
    return this.http.delete<unknown>(`${API_BASE}/tokens/${seg(tokenId)}/spend/${seg(period)}`).pipe(map(() => undefined));
  }

  /** `GET /api/v1/tokens/{id}/spend/history?days=` (1–366, API default 30) → one row per UTC day, oldest first. */
  tokenSpendHistory(tokenId: string, days?: number): Observable<TokenSpendDay[]> {
    const params = days === undefined ? undefined : new HttpParams().set('days', String(days));
    return this.http.get<TokenSpendDay[]>(`${API_BASE}/tokens/${seg(tokenId)}/spend/history`, { params });
  }

  // --- Pricing ------------------------------------------------------------------------------------

  /** `GET /api/v1/pricing` → built-in rows (`org_id` null) and the organisation's overrides; prices are decimal strings. */
  pricing(options: { includeInactive?: boolean } = {}): Observable<PricingRow[]> {
    const params = options.includeInactive ? new HttpParams().set('include_inactive', 'true') : undefined;
    return this.http.get<PricingRow[]>(`${API_BASE}/pricing`, { params });
  }

  /** `PUT /api/v1/pricing`: upserts the organisation's override on (provider, model_pattern); 400 empty fields, 422 invalid values. */
  putPrice(body: PutPricingRequest): Observable<PutPricingResponse> {
    return this.http.put<PutPricingResponse>(`${API_BASE}/pricing`, body);
  }

  /** `DELETE /api/v1/pricing/{id}` → `{id, deleted: true}` (soft delete). */
  deletePrice(id: string): Observable<DeletePricingResponse> {
    return this.http.delete<DeletePricingResponse>(`${API_BASE}/pricing/${seg(id)}`);
  }

  // --- Sessions -----------------------------------------------------------------------------------

  /** `GET /api/v1/sessions/{id}/entity?project_id` → the lifecycle row of a session (404 when unknown). */
  session(sessionId: string, projectId?: string): Observable<SessionEntityResponse> {
    return this.http.get<SessionEntityResponse>(`${API_BASE}/sessions/${seg(sessionId)}/entity`, { params: projectParams(projectId) });
  }

  /** `PATCH /api/v1/sessions/{id}/status`; 422 for a transition out of `completed`. */
  setSessionStatus(sessionId: string, status: SessionStatus, projectId?: string): Observable<SessionEntityResponse> {
    return this.http.patch<SessionEntityResponse>(
      `${API_BASE}/sessions/${seg(sessionId)}/status`,
      { status },
      {
        params: projectParams(projectId),
      },
    );
  }

  /** `PUT /api/v1/sessions/{id}/spend-cap` (null removes the cap). */
  setSessionSpendCap(
    sessionId: string,
    spendCapUsd: SessionSpendCapRequest['spend_cap_usd'],
    projectId?: string,
  ): Observable<SessionEntityResponse> {
    const body: SessionSpendCapRequest = { spend_cap_usd: spendCapUsd };
    return this.http.put<SessionEntityResponse>(`${API_BASE}/sessions/${seg(sessionId)}/spend-cap`, body, {
      params: projectParams(projectId),
    });
  }
}

function projectParams(projectId: string | undefined): HttpParams | undefined {
  return projectId ? new HttpParams().set('project_id', projectId) : undefined;
}

/** One path segment, encoded (session ids are client-chosen strings). */
function seg(id: string): string {
  return encodeURIComponent(id);
}
