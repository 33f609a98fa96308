import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialog } from '@angular/material/dialog';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatSortModule, Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { ApiKey, CreateApiKeyResponse } from '@ailink/shared-contracts';
import { BehaviorSubject, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { PAGE_SIZES, PageState, pageOf, sortRows } from '../shared/table';
import { API_KEY_ROLE_LABELS, API_KEY_STATE_LABELS, ApiKeyState, apiKeyState, scopeSummary } from './api-key-state';
import { ApiKeyCreateDialog } from './api-key-create-dialog';
import { ApiKeySecretDialog } from './api-key-secret-dialog';

interface ApiKeyRow {
  readonly key: ApiKey;
  readonly state: ApiKeyState;
  readonly stateLabel: string;
  readonly roleLabel: string;
  readonly scopes: string;
}

const SORT_ACCESSORS: Record<string, (r: ApiKeyRow) => string | number | null> = {
  name: (r) => r.key.name,
  prefix: (r) => r.key.key_prefix,
  role: (r) => r.roleLabel,
  scopes: (r) => r.scopes,
  lastUsed: (r) => r.key.last_used_at,
  expires: (r) => r.key.expires_at,
  state: (r) => r.state,
  created: (r) => r.key.created_at,
};

/** Management API keys: list, create (the key is shown once), revoke. */
@Component({
  selector: 'ailink-api-keys-page',
  imports: [
    DatePipe,
    MatTableModule,
    MatSortModule,
    MatPaginatorModule,
    MatButtonModule,
    MatCheckboxModule,
    MatProgressBarModule,
    ApiErrorAlert,
  ],
  templateUrl: './api-keys-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiKeysPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly columns = ['name', 'prefix', 'role', 'scopes', 'lastUsed', 'expires', 'state', 'created', 'actions'];
  protected readonly pageSizes = PAGE_SIZES;
  protected readonly includeRevoked = signal(false);

  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.apiKeys().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<ApiKey[]>,
  });
  protected readonly sort = signal<Sort>({ active: 'created', direction: 'desc' });
  protected readonly page = signal<PageState>({ pageIndex: 0, pageSize: 25 });
  protected readonly sorted = computed(() => {
    const s = this.state();
    if (s.status !== 'ready') return [];
    const now = Date.now();
    const rows = s.value
      .filter((key) => this.includeRevoked() || key.is_active)
      .map((key): ApiKeyRow => {
        const state = apiKeyState(key, now);
        return {
          key,
          state,
          stateLabel: API_KEY_STATE_LABELS[state],
          roleLabel: API_KEY_ROLE_LABELS[key.role],
          scopes: scopeSummary(key.scopes),
        };
      });
    return sortRows(rows, this.sort(), SORT_ACCESSORS);
  });
  protected readonly rows = computed(() => pageOf(this.sorted(), this.page()));
  /** A failed revocation (shown above the table), e.g. 422 `last_admin_key`. */
  protected readonly actionError = signal<ApiError | null>(null);

  protected onSort(sort: Sort): void {
    this.sort.set(sort);
    this.page.update((p) => ({ ...p, pageIndex: 0 }));
  }

  protected onPage(event: PageEvent): void {
    this.page.set({ pageIndex: event.pageIndex, pageSize: event.pageSize });
  }

  protected toggleRevoked(checked: boolean): void {
    this.includeRevoked.set(checked);
    this.page.update((p) => ({ ...p, pageIndex: 0 }));
  }

  /**
   * Create, then show the key once. The create response is handed straight to the secret dialog and
   * never assigned to this page: once that dialog closes, nothing in the portal holds the key.
   */
  protected openCreate(): void {
    this.actionError.set(null);
    this.dialog
      .open<ApiKeyCreateDialog, void, CreateApiKeyResponse>(ApiKeyCreateDialog, { width: '600px', maxWidth: '95vw' })
      .afterClosed()
      .pipe(
        filter((created): created is CreateApiKeyResponse => !!created),
        switchMap((created) => {
          this.reload$.next();
          return this.dialog
            .open<ApiKeySecretDialog, CreateApiKeyResponse>(ApiKeySecretDialog, {
              data: created,
              width: '640px',
              maxWidth: '95vw',
              disableClose: true,
            })
            .afterClosed();
        }),
      )
      .subscribe();
  }

  protected revoke(key: ApiKey): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Revoke “${key.name}”?`,
      message: 'Clients using this key get 401 unauthorized from their next request. A revoked key cannot be restored.',
      confirmLabel: 'Revoke key',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.revokeApiKey(key.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`API key “${key.name}” revoked.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
