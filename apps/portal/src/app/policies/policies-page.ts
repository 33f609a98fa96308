import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatSortModule, Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { Policy } from '@ailink/shared-contracts';
import { BehaviorSubject, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { PAGE_SIZES, PageState, pageOf, sortRows } from '../shared/table';

const SORT_ACCESSORS: Record<string, (p: Policy) => string | number> = {
  name: (p) => p.name,
  mode: (p) => p.mode,
  phase: (p) => p.phase,
  rules: (p) => p.rules.length,
  version: (p) => p.version,
  updated: (p) => p.updated_at,
};

/** The project's policies: name, mode, phase, size and version; each opens in the editor. */
@Component({
  selector: 'ailink-policies-page',
  imports: [DatePipe, RouterLink, MatTableModule, MatSortModule, MatPaginatorModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './policies-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PoliciesPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly columns = ['name', 'mode', 'phase', 'rules', 'version', 'updated', 'actions'];
  protected readonly pageSizes = PAGE_SIZES;
  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.policies().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<Policy[]>,
  });
  protected readonly sort = signal<Sort>({ active: 'name', direction: 'asc' });
  protected readonly page = signal<PageState>({ pageIndex: 0, pageSize: 25 });
  protected readonly sorted = computed(() => {
    const s = this.state();
    return s.status === 'ready' ? sortRows(s.value, this.sort(), SORT_ACCESSORS) : [];
  });
  protected readonly rows = computed(() => pageOf(this.sorted(), this.page()));
  protected readonly actionError = signal<ApiError | null>(null);

  protected onSort(sort: Sort): void {
    this.sort.set(sort);
    this.page.update((p) => ({ ...p, pageIndex: 0 }));
  }

  protected onPage(event: PageEvent): void {
    this.page.set({ pageIndex: event.pageIndex, pageSize: event.pageSize });
  }

  protected remove(policy: Policy): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Delete “${policy.name}”?`,
      message: 'The policy is removed from every token it is attached to. Its versions stay in the history.',
      confirmLabel: 'Delete policy',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.deletePolicy(policy.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Policy “${policy.name}” deleted.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
