import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import {
  DEFAULT_LOG_LEVEL_NAME,
  LOG_LEVEL_NAMES,
  type CreateTokenRequest,
  type CreateTokenResponse,
  type CredentialMeta,
  type LogLevelName,
} from '@ailink/shared-contracts';
import { map } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { futureDateTimeValidator, httpUrlValidator, localDateTimeToRfc3339 } from '../shared/forms';

export const LOG_LEVEL_DESCRIPTIONS: Record<LogLevelName, string> = {
  metadata: 'Metadata only: no bodies, no headers.',
  redacted: 'Bodies with PII scrubbed, credential headers masked (default).',
  full: 'Raw bodies and headers (credential headers masked); bodies expire after 24 h.',
};

/** The create form. On success it closes with the API's answer, which carries the token secret once. */
@Component({
  selector: 'ailink-token-create-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatButtonModule, ApiErrorAlert],
  templateUrl: './token-create-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TokenCreateDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<TokenCreateDialog, CreateTokenResponse>>(MatDialogRef);

  protected readonly logLevels = LOG_LEVEL_NAMES;
  protected readonly logLevelDescriptions = LOG_LEVEL_DESCRIPTIONS;
  protected readonly credentials = toSignal(
    this.api.credentials().pipe(
      map((all) => all.filter((c) => c.is_active)),
      toLoadState(),
    ),
    { initialValue: LOADING as LoadState<CredentialMeta[]> },
  );

  protected readonly form = new FormGroup({
    name: new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.maxLength(255)] }),
    upstreamUrl: new FormControl('', { nonNullable: true, validators: [Validators.required, httpUrlValidator] }),
    /** Empty string: passthrough (no credential). */
    credentialId: new FormControl('', { nonNullable: true }),
    expiresAt: new FormControl('', { nonNullable: true, validators: [futureDateTimeValidator] }),
    logLevel: new FormControl<LogLevelName>(DEFAULT_LOG_LEVEL_NAME, { nonNullable: true }),
  });
  protected readonly logLevel = toSignal(this.form.controls.logLevel.valueChanges, { initialValue: DEFAULT_LOG_LEVEL_NAME });

  protected readonly submitting = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  protected submit(): void {
    if (this.submitting()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const value = this.form.getRawValue();
    const body: CreateTokenRequest = {
      name: value.name.trim(),
      upstream_url: value.upstreamUrl.trim(),
      log_level_name: value.logLevel,
    };
    if (value.credentialId) body.credential_id = value.credentialId;
    const expiresAt = localDateTimeToRfc3339(value.expiresAt);
    if (expiresAt) body.expires_at = expiresAt;

    this.submitting.set(true);
    this.error.set(null);
    this.api.createToken(body).subscribe({
      next: (created) => {
        this.submitting.set(false);
        this.dialogRef.close(created);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
