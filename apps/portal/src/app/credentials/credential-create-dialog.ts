import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatAutocompleteModule } from '@angular/material/autocomplete';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import {
  INJECTION_MODES,
  type CreateCredentialRequest,
  type CreateCredentialResponse,
  type CredentialInjectionMode,
} from '@ailink/shared-contracts';
import { map, startWith } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { HEADER_NAME_PATTERN } from '../shared/forms';
import { COMMON_CREDENTIAL_PROVIDERS, INJECTION_MODE_LABELS, defaultInjectionFor, defaultInjectionHeaderFor } from './injection';

/**
 * New credential. The secret lives only in this dialog's form control: it is sent in the create
 * request and the field is cleared as soon as the request leaves, whatever the outcome.
 */
@Component({
  selector: 'ailink-credential-create-dialog',
  imports: [
    ReactiveFormsModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatAutocompleteModule,
    MatButtonModule,
    ApiErrorAlert,
  ],
  templateUrl: './credential-create-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CredentialCreateDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<CredentialCreateDialog, CreateCredentialResponse>>(MatDialogRef);

  protected readonly modes = INJECTION_MODES;
  protected readonly modeLabels = INJECTION_MODE_LABELS;
  protected readonly form = new FormGroup({
    name: new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.maxLength(255)] }),
    provider: new FormControl('openai', { nonNullable: true, validators: [Validators.required, Validators.maxLength(64)] }),
    secret: new FormControl('', { nonNullable: true, validators: [Validators.required] }),
    injectionMode: new FormControl<CredentialInjectionMode | ''>('', { nonNullable: true }),
    injectionHeader: new FormControl('', {
      nonNullable: true,
      validators: [Validators.maxLength(128), Validators.pattern(HEADER_NAME_PATTERN)],
    }),
  });

  private readonly provider = toSignal(this.form.controls.provider.valueChanges.pipe(startWith(this.form.controls.provider.value)), {
    requireSync: true,
  });
  protected readonly mode = toSignal(
    this.form.controls.injectionMode.valueChanges.pipe(startWith(this.form.controls.injectionMode.value)),
    {
      requireSync: true,
    },
  );
  protected readonly providerOptions = computed(() => {
    const typed = this.provider().trim().toLowerCase();
    const matches = COMMON_CREDENTIAL_PROVIDERS.filter((p) => p.includes(typed));
    return matches.length ? matches : COMMON_CREDENTIAL_PROVIDERS;
  });
  /** What the gateway uses when no mode is chosen, for the provider typed so far. */
  protected readonly providerDefault = computed(() => defaultInjectionFor(this.provider() || 'openai'));
  /** The header the gateway uses when the header field is left empty. */
  protected readonly effectiveDefaultHeader = computed(() => {
    const mode = this.mode();
    return mode ? defaultInjectionHeaderFor(mode) : this.providerDefault().header;
  });
  protected readonly headerApplies = computed(() => (this.mode() || this.providerDefault().mode) !== 'sigv4');
  protected readonly secretHint = computed(() => SECRET_HINTS[this.mode() || this.providerDefault().mode]);

  protected readonly submitting = signal(false);
  protected readonly error = signal<ApiError | null>(null);
  /** Set after a failed attempt: the secret was cleared and must be typed again. */
  protected readonly secretCleared = signal(false);

  constructor() {
    // sigv4 signs the request: no header to name.
    this.form.controls.injectionMode.valueChanges.pipe(map((mode) => mode === 'sigv4')).subscribe((sigv4) => {
      if (sigv4) this.form.controls.injectionHeader.setValue('');
    });
  }

  protected submit(): void {
    if (this.submitting()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const value = this.form.getRawValue();
    const body: CreateCredentialRequest = { name: value.name.trim(), provider: value.provider.trim(), secret: value.secret };
    if (value.injectionMode) body.injection_mode = value.injectionMode;
    if (value.injectionHeader.trim() && this.headerApplies()) body.injection_header = value.injectionHeader.trim();
    // The secret leaves the form now: it is only in the request body from here on.
    this.form.controls.secret.reset('');
    this.submitting.set(true);
    this.error.set(null);
    this.api.createCredential(body).subscribe({
      next: (created) => {
        this.submitting.set(false);
        this.dialogRef.close(created);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.secretCleared.set(true);
        this.form.controls.secret.markAsTouched();
        this.error.set(toApiError(error));
      },
    });
  }
}

const SECRET_HINTS: Record<CredentialInjectionMode, string> = {
  bearer: 'The API key, sent as “Bearer <secret>”.',
  basic: 'user:password, sent base64-encoded as Basic auth.',
  header: 'The API key, sent as the header value.',
  query: 'The API key, appended as a query parameter.',
  sigv4: 'ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN] for AWS Signature V4.',
};
