import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, LOADING, LoadState, toApiError, toLoadState } from '@ailink/portal-data-access';
import type { CreateServiceRequest, CredentialMeta, Service, UpdateServiceRequest } from '@ailink/shared-contracts';
import { Observable, map } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { httpUrlValidator } from '../shared/forms';

export interface ServiceDialogData {
  /** The service to edit; absent to register a new one. */
  readonly service?: Service;
}

/** Service names appear in the proxy path `/v1/proxy/services/{name}/…`: URL-safe characters only. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;

/** Register or edit a service. The API's refusals (400 bad URL, 409 name clash, 422 SSRF) are shown in the dialog. */
@Component({
  selector: 'ailink-service-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatButtonModule, ApiErrorAlert],
  templateUrl: './service-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ServiceDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<ServiceDialog, Service>>(MatDialogRef);
  private readonly data = inject<ServiceDialogData>(MAT_DIALOG_DATA);
  protected readonly editing = this.data.service ?? null;

  protected readonly credentials = toSignal(
    this.api.credentials().pipe(
      map((all) => all.filter((c) => c.is_active || c.id === this.editing?.credential_id)),
      toLoadState(),
    ),
    { initialValue: LOADING as LoadState<CredentialMeta[]> },
  );

  protected readonly form = new FormGroup({
    name: new FormControl(this.editing?.name ?? '', {
      nonNullable: true,
      validators: [Validators.required, Validators.maxLength(128), Validators.pattern(SERVICE_NAME_PATTERN)],
    }),
    baseUrl: new FormControl(this.editing?.base_url ?? '', { nonNullable: true, validators: [Validators.required, httpUrlValidator] }),
    description: new FormControl(this.editing?.description ?? '', { nonNullable: true, validators: [Validators.maxLength(1000)] }),
    /** Empty string: passthrough (no credential). */
    credentialId: new FormControl(this.editing?.credential_id ?? '', { nonNullable: true }),
  });

  private readonly nameValue = toSignal(this.form.controls.name.valueChanges, { initialValue: this.form.controls.name.value });
  protected readonly namePreview = computed(() => this.nameValue().trim() || '{name}');

  protected readonly submitting = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  protected submit(): void {
    if (this.submitting()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const v = this.form.getRawValue();
    let request: Observable<Service>;
    if (this.editing) {
      const body: UpdateServiceRequest = {
        name: v.name.trim(),
        base_url: v.baseUrl.trim(),
        description: v.description.trim() || null,
        credential_id: v.credentialId || null,
      };
      request = this.api.updateService(this.editing.id, body);
    } else {
      const body: CreateServiceRequest = { name: v.name.trim(), base_url: v.baseUrl.trim() };
      if (v.description.trim()) body.description = v.description.trim();
      if (v.credentialId) body.credential_id = v.credentialId;
      request = this.api.createService(body);
    }
    this.submitting.set(true);
    this.error.set(null);
    request.subscribe({
      next: (saved) => {
        this.submitting.set(false);
        this.dialogRef.close(saved);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
