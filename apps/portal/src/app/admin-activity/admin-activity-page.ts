import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { AdminAuditClient, ApiError, toApiError } from '@ailink/portal-data-access';
import { ADMIN_AUDIT_METHODS, type AdminAuditEntry, type AdminAuditListQuery, type AdminAuditMethod } from '@ailink/shared-contracts';
import { Subscription } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { localDateTimeToRfc3339 } from '../shared/forms';
import { actorLabel, kindLabel, shortId } from './admin-activity-format';
import { AdminActivityDetailSheet, type AdminActivityDetailData, type AdminActivityDetailResult } from './admin-activity-detail-sheet';

export const ADMIN_ACTIVITY_PAGE_SIZE = 50;
/** Resource kinds the gateway records with before/after snapshots (others are free text). */
export const KNOWN_RESOURCE_KINDS = ['token', 'credential', 'service', 'project', 'api_key'];

const rangeValidator = (group: AbstractControl): ValidationErrors | null => {
  const from = (group.get('from')?.value as string) || '';
  const to = (group.get('to')?.value as string) || '';
  if (!from || !to) return null;
  return new Date(from).getTime() < new Date(to).getTime() ? null : { range: true };
};

/**
 * Admin activity: the Management API writes of the organisation (who changed what, when), with
 * server-side filters, cursor pagination ("Load more" follows `X-Next-Cursor`) and a side sheet
 * showing each write's before/after snapshots as a field-by-field diff.
 */
@Component({
  selector: 'ailink-admin-activity-page',
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatTableModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatButtonModule,
    MatProgressBarModule,
    ApiErrorAlert,
  ],
  templateUrl: './admin-activity-page.html',
  styleUrl: './admin-activity-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class AdminActivityPage {
  private readonly client = inject(AdminAuditClient);
  private readonly dialog = inject(MatDialog);

  protected readonly columns = ['time', 'actor', 'method', 'kind', 'resource', 'path', 'status'];
  protected readonly methods = ADMIN_AUDIT_METHODS;
  protected readonly kinds = KNOWN_RESOURCE_KINDS;
  protected readonly actorLabel = actorLabel;
  protected readonly kindLabel = kindLabel;
  protected readonly shortId = shortId;

  protected readonly filters = new FormGroup(
    {
      actor: new FormControl('', { nonNullable: true, validators: [Validators.maxLength(200)] }),
      resourceKind: new FormControl('', { nonNullable: true, validators: [Validators.maxLength(128)] }),
      resourceId: new FormControl('', { nonNullable: true, validators: [Validators.maxLength(512)] }),
      method: new FormControl<AdminAuditMethod | ''>('', { nonNullable: true }),
      from: new FormControl('', { nonNullable: true }),
      to: new FormControl('', { nonNullable: true }),
    },
    { validators: rangeValidator },
  );

  /** The filters in force (the last applied form). */
  private readonly applied = signal<AdminAuditListQuery>({});

  protected readonly rows = signal<AdminAuditEntry[]>([]);
  protected readonly nextCursor = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly loaded = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  private pageRequest?: Subscription;

  constructor() {
    inject(DestroyRef).onDestroy(() => this.pageRequest?.unsubscribe());
    this.load(false);
  }

  protected applyFilters(): void {
    if (this.filters.invalid) {
      this.filters.markAllAsTouched();
      return;
    }
    const v = this.filters.getRawValue();
    const query: AdminAuditListQuery = {};
    if (v.actor.trim()) query.actor = v.actor.trim();
    if (v.resourceKind.trim()) query.resource_kind = v.resourceKind.trim();
    if (v.resourceId.trim()) query.resource_id = v.resourceId.trim();
    if (v.method) query.method = v.method;
    const from = localDateTimeToRfc3339(v.from);
    const to = localDateTimeToRfc3339(v.to);
    if (from) query.from = from;
    if (to) query.to = to;
    this.applied.set(query);
    this.load(false);
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
    this.pageRequest = this.client.list({ ...this.applied(), limit: ADMIN_ACTIVITY_PAGE_SIZE, cursor }).subscribe({
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

  protected openDetail(entry: AdminAuditEntry): void {
    const ref = this.dialog.open<AdminActivityDetailSheet, AdminActivityDetailData, AdminActivityDetailResult>(AdminActivityDetailSheet, {
      data: { entry },
      position: { right: '0', top: '0' },
      height: '100vh',
      width: '720px',
      maxWidth: '100vw',
      maxHeight: '100vh',
      panelClass: 'ailink-side-sheet',
      ariaLabel: `Admin activity ${entry.method} ${kindLabel(entry.resource_kind)}`,
    });
    ref.afterClosed().subscribe((result) => {
      if (!result) return;
      this.filters.reset();
      if (result.actor) this.filters.controls.actor.setValue(result.actor);
      if (result.resourceKind) this.filters.controls.resourceKind.setValue(result.resourceKind);
      if (result.resourceId) this.filters.controls.resourceId.setValue(result.resourceId);
      this.applyFilters();
    });
  }

  protected statusClass(status: number): string {
    return status >= 200 && status < 300 ? 'badge-ok' : 'badge-warn';
  }
}

/** Appends an older page, skipping entries already shown. */
function mergeOlder(rows: AdminAuditEntry[], older: AdminAuditEntry[]): AdminAuditEntry[] {
  const known = new Set(rows.map((r) => r.id));
  return [...rows, ...older.filter((r) => !known.has(r.id))];
}
