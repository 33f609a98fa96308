import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { ApiClient, LOADING, LoadState, toLoadState } from '@ailink/portal-data-access';
import type { AuditDetail, AuditSummary } from '@ailink/shared-contracts';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { detailFacts, formatBody, headerEntries } from './audit-format';

/** One `shadow_violations` entry as stored (data-model.md, `audit_logs`). */
interface ShadowFinding {
  policy?: string;
  policy_id?: string;
  rule_index?: number;
  actions?: string[];
  outcome?: string;
}

function shadowFindings(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) return String(item);
    const f = item as ShadowFinding;
    const actions = Array.isArray(f.actions) ? ` (${f.actions.join(', ')})` : '';
    return `${f.policy ?? f.policy_id ?? 'policy'} rule ${f.rule_index ?? '?'}: ${f.outcome ?? 'would fire'}${actions}`;
  });
}

export interface AuditDetailSheetData {
  readonly summary: AuditSummary;
}

/** The side sheet with one record's detail (GET /audit/{id}): every field, plus bodies and headers when the log level kept them. */
@Component({
  selector: 'ailink-audit-detail-sheet',
  imports: [DatePipe, MatDialogModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './audit-detail-sheet.html',
  styleUrl: './audit-detail-sheet.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuditDetailSheet {
  private readonly api = inject(ApiClient);
  protected readonly summary = inject<AuditDetailSheetData>(MAT_DIALOG_DATA).summary;

  protected readonly detail = toSignal(this.api.auditRecord(this.summary.id).pipe(toLoadState()), {
    initialValue: LOADING as LoadState<AuditDetail>,
  });
  protected readonly view = computed(() => {
    const d = this.detail();
    if (d.status !== 'ready') return null;
    const r = d.value;
    return {
      facts: detailFacts(r),
      shadow: shadowFindings(r.shadow_violations),
      requestHeaders: headerEntries(r.request_headers),
      responseHeaders: headerEntries(r.response_headers),
      requestBody: formatBody(r.request_body),
      responseBody: formatBody(r.response_body),
      bodiesExpiredAt: r.bodies_expired_at,
    };
  });
}
