import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { ActivatedRoute, Router } from '@angular/router';
import { ApiClient, AuthSession, safeReturnUrl, toApiError } from '@ailink/portal-data-access';
import type { SsoProviderSummary } from '@ailink/shared-contracts';
import { catchError, map, of } from 'rxjs';

/** What the gateway's SSO callback reports in `?error=` (identity.md §4), in words. */
export const SSO_ERROR_MESSAGES: Readonly<Record<string, string>> = {
  provider_unavailable: 'That sign-in provider is not available. Try again, or ask an administrator.',
  access_denied: 'The sign-in provider did not let you in.',
  invalid_state: 'The sign-in took too long or was already used. Please start again.',
  sso_failed: 'Single sign-on failed. Please try again, or ask an administrator to check the provider.',
};

/**
 * Sign-in with the gateway's admin key (or an API key), verified against `GET /api/v1/auth/whoami`,
 * or through one of the enabled SSO providers (a full-page redirect to the provider; the gateway sets
 * an HttpOnly session cookie and sends the browser back here to `returnUrl`).
 */
@Component({
  selector: 'ailink-login-page',
  imports: [ReactiveFormsModule, MatCardModule, MatFormFieldModule, MatInputModule, MatButtonModule],
  templateUrl: './login-page.html',
  styleUrl: './login-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class LoginPage {
  private readonly session = inject(AuthSession);
  private readonly router = inject(Router);
  private readonly route = inject(ActivatedRoute);
  private readonly api = inject(ApiClient);

  /** Enabled SSO providers (public list); none, or unreachable: no SSO buttons. */
  protected readonly providers = toSignal(this.api.ssoProviders().pipe(catchError(() => of([] as SsoProviderSummary[]))), {
    initialValue: [] as SsoProviderSummary[],
  });
  protected readonly ssoError = toSignal(
    this.route.queryParamMap.pipe(
      map((params) => {
        const code = params.get('error');
        return code ? (SSO_ERROR_MESSAGES[code] ?? SSO_ERROR_MESSAGES['sso_failed']) : null;
      }),
    ),
    { initialValue: null },
  );

  protected readonly form = new FormGroup({
    adminKey: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
  });
  protected readonly submitting = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly sessionEnded = toSignal(this.route.queryParamMap.pipe(map((params) => params.get('reason') === 'session-ended')), {
    initialValue: false,
  });

  /** The provider's sign-in URL at the gateway, landing back on the requested page. */
  protected ssoHref(provider: SsoProviderSummary): string {
    return this.api.ssoLoginUrl(provider.id, safeReturnUrl(this.route.snapshot.queryParamMap.get('returnUrl')));
  }

  protected submit(): void {
    if (this.submitting()) return;
    const key = this.form.controls.adminKey.value.trim();
    if (!key) {
      this.form.controls.adminKey.setValue('');
      this.form.markAllAsTouched();
      return;
    }
    this.submitting.set(true);
    this.error.set(null);
    this.session.signIn(key).subscribe({
      next: () => {
        this.submitting.set(false);
        const returnUrl = safeReturnUrl(this.route.snapshot.queryParamMap.get('returnUrl'));
        void this.router.navigateByUrl(returnUrl);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error).message);
      },
    });
  }
}
