import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import type { CredentialMeta, RotateCredentialResponse } from '@ailink/shared-contracts';
import { startWith } from 'rxjs';
import { ApiErrorAlert } from '../shared/api-error-alert';

/**
 * Rotation: with a new secret the credential is replaced; with the field left empty the same secret is
 * re-encrypted under a fresh data key. Either way the version goes up. The field is cleared once the
 * request is sent.
 */
@Component({
  selector: 'ailink-credential-rotate-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatButtonModule, ApiErrorAlert],
  template: `
    <h2 mat-dialog-title>Rotate “{{ credential.name }}”</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate class="dialog-form">
      <mat-dialog-content>
        <ailink-api-error-alert [error]="error()" testId="rotate-error" />
        <p>
          Currently version {{ credential.version }}. Enter a new secret to replace the stored one, or leave the field empty to re-encrypt
          the current secret with a new key.
        </p>
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>New secret (optional)</mat-label>
          <input
            matInput
            type="password"
            formControlName="secret"
            autocomplete="new-password"
            spellcheck="false"
            data-testid="secret-input"
          />
          <mat-hint>
            @if (secretCleared() && secretEmpty()) {
              The secret was cleared after the failed attempt: enter it again to replace the secret.
            } @else {
              {{ secretEmpty() ? 'Empty: re-encrypt with a new key.' : 'The new secret replaces the stored one.' }}
            }
          </mat-hint>
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [attr.aria-disabled]="submitting()">
          {{ submitting() ? 'Rotating…' : secretEmpty() ? 'Re-encrypt' : 'Replace secret' }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class CredentialRotateDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<CredentialRotateDialog, RotateCredentialResponse>>(MatDialogRef);
  protected readonly credential = inject<CredentialMeta>(MAT_DIALOG_DATA);

  protected readonly form = new FormGroup({ secret: new FormControl('', { nonNullable: true }) });
  private readonly secret = this.form.controls.secret;
  private readonly secretValue = toSignal(this.secret.valueChanges.pipe(startWith('')), { requireSync: true });
  protected readonly secretEmpty = computed(() => this.secretValue() === '');
  /** Set after a failed attempt that carried a secret: the field was cleared and must be typed again. */
  protected readonly secretCleared = signal(false);
  protected readonly submitting = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  protected submit(): void {
    if (this.submitting()) return;
    const secret = this.secret.value;
    this.secret.reset('');
    this.submitting.set(true);
    this.error.set(null);
    this.api.rotateCredential(this.credential.id, secret ? { secret } : {}).subscribe({
      next: (rotated) => {
        this.submitting.set(false);
        this.dialogRef.close(rotated);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.secretCleared.set(secret !== '');
        this.error.set(toApiError(error));
      },
    });
  }
}
