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
import type { CreateCredentialResponse, CredentialMeta, RotateCredentialResponse } from '@ailink/shared-contracts';
import { BehaviorSubject, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { PAGE_SIZES, PageState, pageOf, sortRows } from '../shared/table';
import { CredentialCreateDialog } from './credential-create-dialog';
import { CredentialRotateDialog } from './credential-rotate-dialog';

const SORT_ACCESSORS: Record<string, (c: CredentialMeta) => string | number | boolean | null> = {
  name: (c) => c.name,
  provider: (c) => c.provider,
  injection: (c) => `${c.injection_mode} ${c.injection_header ?? ''}`,
  version: (c) => c.version,
  active: (c) => c.is_active,
  rotated: (c) => c.last_rotated_at,
};

/** The vault's credentials: list, create, rotate, delete. Secrets are typed into dialogs and only ever sent to the API. */
@Component({
  selector: 'ailink-credentials-page',
  imports: [DatePipe, MatTableModule, MatSortModule, MatPaginatorModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './credentials-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CredentialsPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly columns = ['name', 'provider', 'injection', 'version', 'active', 'rotated', 'actions'];
  protected readonly pageSizes = PAGE_SIZES;
  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.credentials().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<CredentialMeta[]>,
  });
  protected readonly sort = signal<Sort>({ active: 'name', direction: 'asc' });
  protected readonly page = signal<PageState>({ pageIndex: 0, pageSize: 25 });
  protected readonly sorted = computed(() => {
    const s = this.state();
    return s.status === 'ready' ? sortRows(s.value, this.sort(), SORT_ACCESSORS) : [];
  });
  protected readonly rows = computed(() => pageOf(this.sorted(), this.page()));
  /** A failed delete (shown above the table). */
  protected readonly actionError = signal<ApiError | null>(null);

  protected onSort(sort: Sort): void {
    this.sort.set(sort);
    this.page.update((p) => ({ ...p, pageIndex: 0 }));
  }

  protected onPage(event: PageEvent): void {
    this.page.set({ pageIndex: event.pageIndex, pageSize: event.pageSize });
  }

  protected openCreate(): void {
    this.actionError.set(null);
    this.dialog
      .open<CredentialCreateDialog, void, CreateCredentialResponse>(CredentialCreateDialog, { width: '600px', maxWidth: '95vw' })
      .afterClosed()
      .pipe(filter((created): created is CreateCredentialResponse => !!created))
      .subscribe((created) => {
        this.snackBar.open(`Credential “${created.name}” encrypted and stored.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }

  protected rotate(credential: CredentialMeta): void {
    this.actionError.set(null);
    this.dialog
      .open<CredentialRotateDialog, CredentialMeta, RotateCredentialResponse>(CredentialRotateDialog, {
        data: credential,
        width: '560px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .pipe(filter((rotated): rotated is RotateCredentialResponse => !!rotated))
      .subscribe((rotated) => {
        this.snackBar.open(`Credential “${credential.name}” rotated to version ${rotated.version}.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }

  protected remove(credential: CredentialMeta): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Delete “${credential.name}”?`,
      message:
        'Tokens, services and routes that use this credential will fail with credential_missing until they point at another one. This cannot be undone.',
      confirmLabel: 'Delete credential',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.deleteCredential(credential.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`Credential “${credential.name}” deleted.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
