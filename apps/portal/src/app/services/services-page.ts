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
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { CredentialMeta, Service } from '@ailink/shared-contracts';
import { BehaviorSubject, catchError, filter, of, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { PAGE_SIZES, PageState, pageOf, sortRows } from '../shared/table';
import { ServiceDialog, ServiceDialogData } from './service-dialog';

interface ServiceRow {
  readonly service: Service;
  readonly credential: string;
}

const SORT_ACCESSORS: Record<string, (r: ServiceRow) => string | boolean | null> = {
  name: (r) => r.service.name,
  base_url: (r) => r.service.base_url,
  credential: (r) => r.credential,
  description: (r) => r.service.description,
  created: (r) => r.service.created_at,
};

/** The service registry: named upstream APIs reachable at /v1/proxy/services/{name}/…. */
@Component({
  selector: 'ailink-services-page',
  imports: [DatePipe, MatTableModule, MatSortModule, MatPaginatorModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './services-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ServicesPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly columns = ['name', 'base_url', 'credential', 'description', 'created', 'actions'];
  protected readonly pageSizes = PAGE_SIZES;
  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.services().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<Service[]>,
  });
  private readonly credentials = toSignal(
    this.reload$.pipe(switchMap(() => this.api.credentials().pipe(catchError(() => of([] as CredentialMeta[]))))),
    { initialValue: [] as CredentialMeta[] },
  );
  protected readonly sort = signal<Sort>({ active: 'name', direction: 'asc' });
  protected readonly page = signal<PageState>({ pageIndex: 0, pageSize: 25 });
  protected readonly sorted = computed(() => {
    const s = this.state();
    if (s.status !== 'ready') return [];
    const names = new Map(this.credentials().map((c) => [c.id, c.name]));
    const rows = s.value.map(
      (service): ServiceRow => ({
        service,
        credential: service.credential_id ? (names.get(service.credential_id) ?? service.credential_id) : '',
      }),
    );
    return sortRows(rows, this.sort(), SORT_ACCESSORS);
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

  protected openCreate(): void {
    this.openDialog({});
  }

  protected edit(service: Service): void {
    this.openDialog({ service });
  }

  private openDialog(data: ServiceDialogData): void {
    this.actionError.set(null);
    this.dialog
      .open<ServiceDialog, ServiceDialogData, Service>(ServiceDialog, { data, width: '640px', maxWidth: '95vw' })
      .afterClosed()
      .pipe(filter((saved): saved is Service => !!saved))
      .subscribe((saved) => {
        this.snackBar.open(`Service “${saved.name}” ${data.service ? 'updated' : 'registered'}.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }

  protected remove(service: Service): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Delete “${service.name}”?`,
      message: `Requests to /v1/proxy/services/${service.name}/… will fail with upstream_failed once it is gone.`,
      confirmLabel: 'Delete service',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.deleteService(service.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Service “${service.name}” deleted.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
