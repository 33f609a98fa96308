import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { AUDIT_NEXT_CURSOR_HEADER, type AdminAuditEntry, type AdminAuditListQuery } from '@ailink/shared-contracts';
import { Observable, map } from 'rxjs';
import { API_BASE } from './api-client';

/** One page of `GET /audit/admin`. */
export interface AdminAuditPage {
  readonly items: AdminAuditEntry[];
  /** The `X-Next-Cursor` header: pass it as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/**
 * The admin audit trail (management-api.md "Admin audit trail"): who changed what through the
 * Management API, with before/after snapshots (secrets already masked by the gateway).
 */
@Injectable({ providedIn: 'root' })
export class AdminAuditClient {
  private readonly http = inject(HttpClient);

  /** `GET /api/v1/audit/admin` → one page, newest first, with the cursor of the next page. */
  list(query: AdminAuditListQuery = {}): Observable<AdminAuditPage> {
    let params = new HttpParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue;
      params = params.set(key, String(value));
    }
    return this.http
      .get<AdminAuditEntry[]>(`${API_BASE}/audit/admin`, { params, observe: 'response' })
      .pipe(map((response) => ({ items: response.body ?? [], nextCursor: response.headers.get(AUDIT_NEXT_CURSOR_HEADER) || null })));
  }

  /** `GET /api/v1/audit/admin/{id}` (404 when it belongs to another organisation). */
  entry(id: string): Observable<AdminAuditEntry> {
    return this.http.get<AdminAuditEntry>(`${API_BASE}/audit/admin/${encodeURIComponent(id)}`);
  }
}
