import { HttpClient, HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import type { NotReadyResponse, ProjectSummary, ReadinessResponse, WhoAmIResponse } from '@ailink/shared-contracts';
import { Observable, catchError, of, throwError } from 'rxjs';
import { toApiError } from './api-error';

/** Management API base (spec README, "Naming"); the portal is served same-origin by the gateway. */
export const API_BASE = '/api/v1';
export const ADMIN_KEY_HEADER = 'X-Admin-Key';

/**
 * Typed client for the gateway endpoints the portal uses. Every failure surfaces as an `ApiError`
 * (the interceptor maps `/api/` errors; the client maps the ops endpoints itself).
 */
@Injectable({ providedIn: 'root' })
export class ApiClient {
  private readonly http = inject(HttpClient);

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
   * `GET /api/v1/auth/whoami`. With `adminKey` the key is sent explicitly (used to verify a key
   * before it becomes the session's); without it the interceptor adds the session's key.
   */
  whoami(adminKey?: string): Observable<WhoAmIResponse> {
    const headers = adminKey ? new HttpHeaders({ [ADMIN_KEY_HEADER]: adminKey }) : undefined;
    return this.http.get<WhoAmIResponse>(`${API_BASE}/auth/whoami`, { headers });
  }

  /** `GET /api/v1/projects` (a bare array). */
  projects(): Observable<ProjectSummary[]> {
    return this.http.get<ProjectSummary[]>(`${API_BASE}/projects`);
  }
}

function isNotReady(body: unknown): body is NotReadyResponse {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { status?: unknown }).status === 'unavailable' &&
    typeof (body as { version?: unknown }).version === 'string'
  );
}
