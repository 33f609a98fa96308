import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { ActivatedRoute, Router } from '@angular/router';
import { AuthSession, safeReturnUrl, toApiError } from '@ailink/portal-data-access';
import { map } from 'rxjs';

/** Sign-in with the gateway's admin key, verified against `GET /api/v1/auth/whoami`. */
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

  protected readonly form = new FormGroup({
    adminKey: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
  });
  protected readonly submitting = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly sessionEnded = toSignal(this.route.queryParamMap.pipe(map((params) => params.get('reason') === 'session-ended')), {
    initialValue: false,
  });

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
