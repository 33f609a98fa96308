import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatDialog } from '@angular/material/dialog';
import { MatPaginatorModule, PageEvent } from '@angular/material/paginator';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSortModule, Sort } from '@angular/material/sort';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { ApiClient, AuthSession, LOADING, LoadState, toLoadState } from '@ailink/portal-data-access';
import type { CreateTokenResponse, CredentialMeta, Token } from '@ailink/shared-contracts';
import { BehaviorSubject, catchError, filter, of, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { PAGE_SIZES, PageState, pageOf, sortRows } from '../shared/table';
import { TOKEN_STATE_LABELS, TokenState, tokenState } from '../shared/token-state';
import { TokenCreateDialog } from './token-create-dialog';
import { TokenSecretDialog } from './token-secret-dialog';

interface TokenRow {
  readonly token: Token;
  readonly state: TokenState;
  readonly stateLabel: string;
  readonly credential: string;
}

const SORT_ACCESSORS: Record<string, (r: TokenRow) => string | number | null> = {
  name: (r) => r.token.name,
  masked: (r) => r.token.masked,
  upstream: (r) => r.token.upstream_url,
  credential: (r) => r.credential,
  state: (r) => r.state,
  created: (r) => r.token.created_at,
};

/** Virtual tokens: list, create (the secret is shown once), and links to each token's page. */
@Component({
  selector: 'ailink-tokens-page',
  imports: [
    DatePipe,
    RouterLink,
    MatTableModule,
    MatSortModule,
    MatPaginatorModule,
    MatButtonModule,
    MatCheckboxModule,
    MatProgressBarModule,
    ApiErrorAlert,
  ],
  templateUrl: './tokens-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TokensPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly reload$ = new BehaviorSubject<void>(undefined);
  private readonly session = inject(AuthSession);
  /** Creating tokens needs `tokens:write`: hidden for roles without it (a ReadOnly user); the API refuses it anyway. */
  protected readonly canCreate = computed(() => {
    this.session.identity();
    return this.session.can('tokens:write');
  });

  protected readonly columns = ['name', 'masked', 'upstream', 'credential', 'state', 'created'];
  protected readonly pageSizes = PAGE_SIZES;
  protected readonly includeRevoked = signal(false);

  protected readonly state = toSignal(
    this.reload$.pipe(switchMap(() => this.api.tokens(this.includeRevoked() ? { include_inactive: true } : {}).pipe(toLoadState()))),
    { initialValue: LOADING as LoadState<Token[]> },
  );
  /** Credential names for the table; if they cannot be read the ids are shown instead. */
  private readonly credentials = toSignal(
    this.reload$.pipe(switchMap(() => this.api.credentials().pipe(catchError(() => of([] as CredentialMeta[]))))),
    { initialValue: [] as CredentialMeta[] },
  );
  protected readonly sort = signal<Sort>({ active: 'created', direction: 'desc' });
  protected readonly page = signal<PageState>({ pageIndex: 0, pageSize: 25 });

  protected readonly sorted = computed(() => {
    const s = this.state();
    if (s.status !== 'ready') return [];
    const names = new Map(this.credentials().map((c) => [c.id, c.name]));
    const now = Date.now();
    const rows = s.value.map((token): TokenRow => {
      const state = tokenState(token, now);
      return {
        token,
        state,
        stateLabel: TOKEN_STATE_LABELS[state],
        credential: token.credential_id ? (names.get(token.credential_id) ?? token.credential_id) : 'Passthrough',
      };
    });
    return sortRows(rows, this.sort(), SORT_ACCESSORS);
  });
  protected readonly rows = computed(() => pageOf(this.sorted(), this.page()));

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
    this.reload$.next();
  }

  /**
   * Create, then show the secret once. The create response is handed straight to the secret dialog
   * and never assigned to this page: once that dialog closes, nothing in the portal holds the secret.
   */
  protected openCreate(): void {
    this.dialog
      .open<TokenCreateDialog, void, CreateTokenResponse>(TokenCreateDialog, { width: '640px', maxWidth: '95vw' })
      .afterClosed()
      .pipe(
        filter((created): created is CreateTokenResponse => !!created),
        switchMap((created) => {
          this.reload$.next();
          return this.dialog
            .open<TokenSecretDialog, CreateTokenResponse>(TokenSecretDialog, {
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
}
