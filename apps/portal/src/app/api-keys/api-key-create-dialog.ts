import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import {
  API_KEY_ROLES,
  MANAGEMENT_SCOPES,
  SCOPE_RESOURCES,
  isReadScope,
  type ApiKeyRole,
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
} from '@ailink/shared-contracts';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { futureDateTimeValidator, localDateTimeToRfc3339 } from '../shared/forms';
import { API_KEY_ROLE_DESCRIPTIONS, API_KEY_ROLE_LABELS } from './api-key-state';

/** The scope choices of a role: wildcards, then the scopes a key of that role can hold. */
export function scopeChoices(role: ApiKeyRole): string[] {
  const concrete = role === 'readonly' ? MANAGEMENT_SCOPES.filter(isReadScope) : [...MANAGEMENT_SCOPES];
  return ['*', ...SCOPE_RESOURCES.map((r) => `${r}:*`), ...concrete];
}

/** The create form. On success it closes with the API's answer, which carries the key once. */
@Component({
  selector: 'ailink-api-key-create-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatButtonModule, ApiErrorAlert],
  templateUrl: './api-key-create-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ApiKeyCreateDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<ApiKeyCreateDialog, CreateApiKeyResponse>>(MatDialogRef);

  protected readonly roles = API_KEY_ROLES;
  protected readonly roleLabels = API_KEY_ROLE_LABELS;
  protected readonly roleDescriptions = API_KEY_ROLE_DESCRIPTIONS;

  protected readonly form = new FormGroup({
    name: new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.maxLength(200)] }),
    role: new FormControl<ApiKeyRole>('member', { nonNullable: true }),
    /** Empty: the role's default scopes. */
    scopes: new FormControl<string[]>([], { nonNullable: true }),
    expiresAt: new FormControl('', { nonNullable: true, validators: [futureDateTimeValidator] }),
  });
  protected readonly role = toSignal(this.form.controls.role.valueChanges, { initialValue: 'member' as ApiKeyRole });
  protected readonly choices = computed(() => scopeChoices(this.role()));

  protected readonly submitting = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  constructor() {
    // Scopes the new role cannot hold (write scopes on a readonly key) are dropped from the selection.
    this.form.controls.role.valueChanges.pipe(takeUntilDestroyed()).subscribe((role) => {
      const allowed = new Set(scopeChoices(role));
      const kept = this.form.controls.scopes.value.filter((s) => allowed.has(s));
      if (kept.length !== this.form.controls.scopes.value.length) this.form.controls.scopes.setValue(kept);
    });
  }

  protected submit(): void {
    if (this.submitting()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const value = this.form.getRawValue();
    const body: CreateApiKeyRequest = { name: value.name.trim(), role: value.role };
    if (value.scopes.length > 0) body.scopes = value.scopes;
    const expiresAt = localDateTimeToRfc3339(value.expiresAt);
    if (expiresAt) body.expires_at = expiresAt;

    this.submitting.set(true);
    this.error.set(null);
    this.api.createApiKey(body).subscribe({
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
