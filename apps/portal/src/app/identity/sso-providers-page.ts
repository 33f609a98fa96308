import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { OidcProvider, UserRole } from '@ailink/shared-contracts';
import { BehaviorSubject, filter, switchMap } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { confirmAction } from '../shared/confirm-dialog';
import { USER_ROLE_LABELS } from './identity-format';
import { SsoProviderDialog, describeTest, type SsoProviderDialogData } from './sso-provider-dialog';

/** OpenID Connect providers: portal single sign-on and bearer tokens on the Management API. */
@Component({
  selector: 'ailink-sso-providers-page',
  imports: [MatTableModule, MatButtonModule, MatProgressBarModule, ApiErrorAlert],
  templateUrl: './sso-providers-page.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class SsoProvidersPage {
  private readonly api = inject(ApiClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly reload$ = new BehaviorSubject<void>(undefined);

  protected readonly columns = ['name', 'issuer', 'client', 'role', 'state', 'actions'];
  protected readonly state = toSignal(this.reload$.pipe(switchMap(() => this.api.oidcProviders().pipe(toLoadState()))), {
    initialValue: LOADING as LoadState<OidcProvider[]>,
  });
  protected readonly actionError = signal<ApiError | null>(null);
  /** The last connection test, announced in a status region. */
  protected readonly testResult = signal<string | null>(null);

  protected roleLabel(role: UserRole): string {
    return USER_ROLE_LABELS[role];
  }

  protected open(provider?: OidcProvider): void {
    this.actionError.set(null);
    this.dialog
      .open<SsoProviderDialog, SsoProviderDialogData, OidcProvider>(SsoProviderDialog, {
        data: { provider },
        width: '720px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .pipe(filter((saved): saved is OidcProvider => !!saved))
      .subscribe((saved) => {
        this.snackBar.open(`SSO provider “${saved.name}” saved.`, 'Dismiss', { duration: 5000 });
        this.reload$.next();
      });
  }

  protected test(provider: OidcProvider): void {
    this.testResult.set(`Testing ${provider.name}…`);
    this.api.testOidcProvider(provider.issuer_url).subscribe({
      next: (result) => this.testResult.set(`${provider.name}: ${describeTest(result)}`),
      error: (error: unknown) => this.testResult.set(`${provider.name}: connection test failed: ${toApiError(error).message}`),
    });
  }

  protected remove(provider: OidcProvider): void {
    this.actionError.set(null);
    confirmAction(this.dialog, {
      title: `Remove “${provider.name}”?`,
      message: 'Its users can no longer sign in with it, and its bearer tokens are refused. Their user records stay.',
      confirmLabel: 'Remove provider',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.deleteOidcProvider(provider.id)),
      )
      .subscribe({
        next: () => {
          this.snackBar.open(`SSO provider “${provider.name}” removed.`, 'Dismiss', { duration: 5000 });
          this.reload$.next();
        },
        error: (error: unknown) => this.actionError.set(toApiError(error)),
      });
  }
}
