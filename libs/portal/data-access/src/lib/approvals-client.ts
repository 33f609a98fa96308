import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import {
  APPROVAL_DECIDED_EVENT,
  APPROVAL_REQUESTED_EVENT,
  type Approval,
  type ApprovalDecisionResponse,
  type ApprovalListQuery,
  type GatewayEvent,
} from '@ailink/shared-contracts';
import { Observable, filter, map } from 'rxjs';
import { API_BASE } from './api-client';
import { SseClient } from './sse-client';

/** An `approval_requested` or `approval_decided` event as `GET /approvals/stream` delivers it. */
export type ApprovalStreamEvent = GatewayEvent<'approval_requested' | 'approval_decided'>;

/**
 * Human approvals (management-api.md "Approvals"): the inbox listing, one approval, decisions, and
 * the live stream of new approvals and decisions.
 */
@Injectable({ providedIn: 'root' })
export class ApprovalsClient {
  private readonly http = inject(HttpClient);
  private readonly sse = inject(SseClient);

  /** `GET /api/v1/approvals` → newest first. */
  list(query: ApprovalListQuery = {}): Observable<Approval[]> {
    return this.http.get<Approval[]>(`${API_BASE}/approvals`, { params: toParams(query) });
  }

  /** `GET /api/v1/approvals/{id}`. */
  get(id: string): Observable<Approval> {
    return this.http.get<Approval>(`${API_BASE}/approvals/${encodeURIComponent(id)}`);
  }

  /** `POST /api/v1/approvals/{id}/decision` → `{id, status, updated}` (`updated: false` when it was already decided). */
  decide(id: string, decision: 'approved' | 'rejected', comment?: string): Observable<ApprovalDecisionResponse> {
    const body = comment && comment.trim() ? { decision, comment: comment.trim() } : { decision };
    return this.http.post<ApprovalDecisionResponse>(`${API_BASE}/approvals/${encodeURIComponent(id)}/decision`, body);
  }

  /** `GET /api/v1/approvals/stream`: the events, until unsubscribed (malformed frames are skipped). */
  stream(projectId?: string): Observable<ApprovalStreamEvent> {
    const params = projectId ? new HttpParams().set('project_id', projectId) : new HttpParams();
    return this.sse.open(`${API_BASE}/approvals/stream`, params).pipe(
      filter((message) => message.event === APPROVAL_REQUESTED_EVENT || message.event === APPROVAL_DECIDED_EVENT),
      map((message) => parseEvent(message.data)),
      filter((event): event is ApprovalStreamEvent => event !== null),
    );
  }
}

function toParams(query: object): HttpParams {
  let params = new HttpParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params = params.set(key, String(value));
  }
  return params;
}

function parseEvent(text: string): ApprovalStreamEvent | null {
  try {
    const parsed = JSON.parse(text) as Partial<ApprovalStreamEvent> | null;
    if (!parsed || typeof parsed !== 'object' || typeof parsed.event_type !== 'string') return null;
    const details = parsed.details as { approval_id?: unknown } | undefined;
    return typeof details?.approval_id === 'string' ? (parsed as ApprovalStreamEvent) : null;
  } catch {
    return null;
  }
}
