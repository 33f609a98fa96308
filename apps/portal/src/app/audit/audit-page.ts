import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import { MatTableModule } from '@angular/material/table';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import {
  AUDIT_POLICY_RESULTS,
  type AuditFilters,
  type AuditListQuery,
  type AuditPolicyResult,
  type AuditSummary,
} from '@ailink/shared-contracts';
import { Subscription } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { localDateTimeToRfc3339 } from '../shared/forms';
import { AuditDetailSheet, AuditDetailSheetData } from './audit-detail-sheet';

export const AUDIT_PAGE_SIZE = 50;
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
/** An exact status code or a class such as `5xx` (audit-and-observability.md §5). */
export const STATUS_FILTER_PATTERN = /^([1-5]xx|[1-5][0-9]{2})$/i;

const rangeValidator = (group: AbstractControl): ValidationErrors | null => {
  const from = (group.get('from')?.value as string) || '';
  const to = (group.get('to')?.value as string) || '';
  if (!from || !to) return null;
  return new Date(from).getTime() < new Date(to).getTime() ? null : { range: true };
};

/**
 * The audit log: server-side filters, cursor pagination ("Load more" follows `X-Next-Cursor`), a
 * side sheet with each record's detail, and a live tail of `/audit/stream` that prepends new rows.
 */
@Component({
  selector: 'ailink-audit-page',
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatTableModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatButtonModule,
    MatSlideToggleModule,
    MatProgressBarModule,
    ApiErrorAlert,
  ],
  templateUrl: './audit-page.html',
  styleUrl: './audit-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AuditPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);

  protected readonly columns = ['time', 'status', 'method', 'path', 'model', 'token', 'latency', 'cost', 'result'];
  protected readonly methods = HTTP_METHODS;
  protected readonly policyResults = AUDIT_POLICY_RESULTS;

  protected readonly filters = new FormGroup(
    {
      tokenId: new FormControl('', { nonNullable: true, validators: [Validators.maxLength(200)] }),
      status: new FormControl('', { nonNullable: true, validators: [Validators.pattern(STATUS_FILTER_PATTERN)] }),
      model: new FormControl('', { nonNullable: true, validators: [Validators.maxLength(200)] }),
      method: new FormControl('', { nonNullable: true }),
      policyResult: new FormControl<AuditPolicyResult | ''>('', { nonNullable: true }),
      from: new FormControl('', { nonNullable: true }),
      to: new FormControl('', { nonNullable: true }),
    },
    { validators: rangeValidator },
  );

  /** The filters in force (the last applied form). */
  private readonly applied = signal<AuditListQuery>({});

  protected readonly rows = signal<AuditSummary[]>([]);
  protected readonly nextCursor = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly loaded = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  protected readonly live = signal(false);
  protected readonly liveError = signal<ApiError | null>(null);
  protected readonly liveReceived = signal(0);
  protected readonly liveEnded = signal(false);

  private pageRequest?: Subscription;
  private liveStream?: Subscription;

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.pageRequest?.unsubscribe();
      this.stopLive();
    });
    this.load(false);
  }

  protected applyFilters(): void {
    if (this.filters.invalid) {
      this.filters.markAllAsTouched();
      return;
    }
    const v = this.filters.getRawValue();
    const filters: AuditListQuery = {};
    if (v.tokenId.trim()) filters.token_id = v.tokenId.trim();
    if (v.status.trim()) filters.status = v.status.trim().toLowerCase();
    if (v.model.trim()) filters.model = v.model.trim();
    if (v.method) filters.method = v.method;
    if (v.policyResult) filters.policy_result = v.policyResult;
    const from = localDateTimeToRfc3339(v.from);
    const to = localDateTimeToRfc3339(v.to);
    if (from) filters.from = from;
    if (to) filters.to = to;
    this.applied.set(filters);
    this.load(false);
    if (this.live()) this.startLive();
  }

  protected clearFilters(): void {
    this.filters.reset();
    this.applyFilters();
  }

  protected loadMore(): void {
    if (this.nextCursor() && !this.loading()) this.load(true);
  }

  private load(append: boolean): void {
    this.pageRequest?.unsubscribe();
    const cursor = append ? (this.nextCursor() ?? undefined) : undefined;
    this.loading.set(true);
    this.error.set(null);
    this.pageRequest = this.api.audit({ ...this.applied(), limit: AUDIT_PAGE_SIZE, cursor }).subscribe({
      next: (page) => {
        this.rows.update((rows) => (append ? mergeOlder(rows, page.items) : page.items));
        this.nextCursor.set(page.nextCursor);
        this.loading.set(false);
        this.loaded.set(true);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(toApiError(error));
      },
    });
  }

  protected setLive(on: boolean): void {
    if (on) this.startLive();
    else this.stopLive();
  }

  private startLive(): void {
    this.liveStream?.unsubscribe();
    this.live.set(true);
    this.liveError.set(null);
    this.liveEnded.set(false);
    this.liveReceived.set(0);
    this.liveStream = this.api.auditStream(streamFilters(this.applied())).subscribe({
      next: (records) => this.prepend(records),
      error: (error: unknown) => {
        this.live.set(false);
        this.liveError.set(toApiError(error));
      },
      complete: () => {
        this.live.set(false);
        this.liveEnded.set(true);
      },
    });
  }

  private stopLive(): void {
    this.liveStream?.unsubscribe();
    this.liveStream = undefined;
    this.live.set(false);
  }

  private prepend(records: AuditSummary[]): void {
    const known = new Set(this.rows().map((r) => r.id));
    const fresh = records.filter((r) => !known.has(r.id)).sort(newestFirst);
    if (!fresh.length) return;
    this.rows.update((rows) => [...fresh, ...rows]);
    this.liveReceived.update((n) => n + fresh.length);
  }

  protected openDetail(row: AuditSummary): void {
    this.dialog.open<AuditDetailSheet, AuditDetailSheetData>(AuditDetailSheet, {
      data: { summary: row },
      position: { right: '0', top: '0' },
      height: '100vh',
      width: '680px',
      maxWidth: '100vw',
      maxHeight: '100vh',
      panelClass: 'ailink-side-sheet',
      ariaLabel: `Audit record ${row.method} ${row.path}`,
    });
  }

  protected shortToken(id: string | null): string {
    if (!id) return '';
    return id.length > 14 ? `${id.slice(0, 12)}…` : id;
  }

  protected statusClass(status: number | null): string {
    if (status === null || status === undefined) return '';
    if (status >= 500) return 'badge-bad';
    if (status >= 400) return 'badge-warn';
    return 'badge-ok';
  }
}

/** The stream takes the list's filters except the time range (a live tail only sees new records). */
function streamFilters(query: AuditListQuery): AuditFilters {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { from, to, limit, offset, cursor, ...filters } = query;
  return filters;
}

function newestFirst(a: AuditSummary, b: AuditSummary): number {
  return b.created_at.localeCompare(a.created_at);
}

/** Appends an older page, skipping records already shown (a live row may also arrive in a page). */
function mergeOlder(rows: AuditSummary[], older: AuditSummary[]): AuditSummary[] {
  const known = new Set(rows.map((r) => r.id));
  return [...rows, ...older.filter((r) => !known.has(r.id))];
}
