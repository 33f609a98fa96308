import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, signal } from '@angular/core';
import { FormControl, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { ApiError, ApprovalsClient, AuthSession, toApiError, type ApprovalStreamEvent } from '@ailink/portal-data-access';
import type { Approval, ApprovalStatus } from '@ailink/shared-contracts';
import { Subscription, timer } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { STATUS_FILTERS, STATUS_LABELS, isOpen, requestLabel, shortToken, statusBadge } from './approval-format';
import { ApprovalReviewDialog, type ApprovalReviewData, type ApprovalReviewResult } from './approval-review-dialog';

export const APPROVALS_PAGE_SIZE = 100;
/** The list is re-read this often while the page is open (expiries produce no event). */
export const REFRESH_MS = 30_000;
/** Re-read interval while the live stream is down. */
export const POLL_MS = 10_000;

/**
 * The approvals inbox: requests that policies hold for a human decision, newest first, filtered by
 * status (pending by default). New approvals and decisions arrive live over `/approvals/stream`
 * (polling while the stream is down); each row opens a review dialog with the request summary and
 * its body preview, where a reviewer with `approvals:write` approves or rejects it.
 */
@Component({
  selector: 'ailink-approvals-page',
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatTableModule,
    MatFormFieldModule,
    MatSelectModule,
    MatButtonModule,
    MatProgressBarModule,
    ApiErrorAlert,
  ],
  templateUrl: './approvals-page.html',
  styleUrl: './approvals-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApprovalsPage {
  private readonly client = inject(ApprovalsClient);
  private readonly dialog = inject(MatDialog);
  private readonly session = inject(AuthSession);

  protected readonly columns = ['requested', 'request', 'token', 'model', 'expires', 'status', 'actions'];
  protected readonly statusFilters = STATUS_FILTERS;
  protected readonly statusLabel = (status: ApprovalStatus): string => STATUS_LABELS[status] ?? status;
  protected readonly statusBadge = statusBadge;
  protected readonly shortToken = shortToken;
  protected readonly requestLabel = requestLabel;
  protected readonly isOpen = isOpen;

  protected readonly status = new FormControl<ApprovalStatus | ''>('pending', { nonNullable: true });
  protected readonly rows = signal<Approval[]>([]);
  protected readonly loading = signal(false);
  protected readonly loaded = signal(false);
  protected readonly error = signal<ApiError | null>(null);
  protected readonly live = signal(false);
  protected readonly liveError = signal<ApiError | null>(null);
  /** The last change announced to screen readers (and shown under the header). */
  protected readonly announcement = signal('');
  protected readonly pendingCount = computed(() => this.rows().filter((r) => isOpen(r)).length);
  protected readonly canDecide = computed(() => {
    this.session.identity();
    return this.session.can('approvals:write');
  });

  private request?: Subscription;
  private stream?: Subscription;
  private refresh?: Subscription;

  constructor() {
    inject(DestroyRef).onDestroy(() => {
      this.request?.unsubscribe();
      this.stream?.unsubscribe();
      this.refresh?.unsubscribe();
    });
    this.status.valueChanges.subscribe(() => this.load());
    this.load();
    this.startLive();
  }

  protected load(): void {
    this.request?.unsubscribe();
    this.loading.set(true);
    this.error.set(null);
    const status = this.status.value;
    this.request = this.client.list({ status: status || undefined, limit: APPROVALS_PAGE_SIZE }).subscribe({
      next: (rows) => {
        this.rows.set(rows);
        this.loading.set(false);
        this.loaded.set(true);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(toApiError(error));
      },
    });
  }

  protected review(approval: Approval): void {
    this.dialog
      .open<ApprovalReviewDialog, ApprovalReviewData, ApprovalReviewResult>(ApprovalReviewDialog, {
        data: { approval, canDecide: this.canDecide() },
        width: '720px',
        maxWidth: '100vw',
        ariaLabel: `Review ${requestLabel(approval)}`,
      })
      .afterClosed()
      .subscribe((result) => {
        if (!result) return;
        this.announce(
          result.updated
            ? `${STATUS_LABELS[result.status]}: ${requestLabel(approval)}.`
            : `Already ${STATUS_LABELS[result.status].toLowerCase()}: ${requestLabel(approval)}.`,
        );
        this.refreshRow(result.id);
      });
  }

  /** Live updates: the stream while it works, polling while it does not; a periodic re-read for expiries. */
  private startLive(): void {
    this.stream = this.client.stream().subscribe({
      next: (event) => this.onEvent(event),
      error: (error: unknown) => {
        this.live.set(false);
        this.liveError.set(toApiError(error));
        this.schedule(POLL_MS);
      },
      complete: () => {
        this.live.set(false);
        this.schedule(POLL_MS);
      },
    });
    this.live.set(true);
    this.schedule(REFRESH_MS);
  }

  private schedule(everyMs: number): void {
    this.refresh?.unsubscribe();
    this.refresh = timer(everyMs, everyMs).subscribe(() => {
      if (!this.loading()) this.load();
    });
  }

  private onEvent(event: ApprovalStreamEvent): void {
    const id = (event.details as { approval_id: string }).approval_id;
    if (event.event_type === 'approval_requested') {
      const details = event.details as { method?: string; path?: string; agent?: string | null };
      this.announce(`New approval request: ${details.method ?? ''} ${details.path ?? ''}${details.agent ? ` by ${details.agent}` : ''}.`);
    } else {
      const details = event.details as { decision?: string };
      this.announce(`An approval was ${details.decision ?? 'decided'}.`);
    }
    this.refreshRow(id);
  }

  /** Re-reads one approval and puts it where the current filter wants it (added, replaced or removed). */
  private refreshRow(id: string): void {
    this.client.get(id).subscribe({
      next: (approval) => {
        const filter = this.status.value;
        const wanted = filter === '' || approval.status === filter;
        this.rows.update((rows) => {
          const without = rows.filter((r) => r.id !== approval.id);
          if (!wanted) return without;
          const index = rows.findIndex((r) => r.id === approval.id);
          if (index >= 0) return rows.map((r) => (r.id === approval.id ? approval : r));
          return [approval, ...without].sort((x, y) => y.created_at.localeCompare(x.created_at));
        });
      },
      error: () => undefined,
    });
  }

  private announce(text: string): void {
    this.announcement.set(text);
  }
}
