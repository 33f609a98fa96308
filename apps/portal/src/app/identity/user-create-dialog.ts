import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import { USER_ROLES, type User, type UserRole } from '@ailink/shared-contracts';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { USER_ROLE_LABELS } from './identity-format';

/** Add a user ahead of its first SSO sign-in (linked then by verified email). */
@Component({
  selector: 'ailink-user-create-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatButtonModule, ApiErrorAlert],
  template: `
    <h2 mat-dialog-title>New user</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate class="dialog-form">
      <mat-dialog-content>
        <ailink-api-error-alert [error]="error()" testId="create-error" />
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>Email</mat-label>
          <input matInput type="email" formControlName="email" autocomplete="off" required cdkFocusInitial />
          <mat-hint>They are linked to this user when they first sign in with this verified email.</mat-hint>
          @if (form.controls.email.hasError('required')) {
            <mat-error>Enter an email address.</mat-error>
          } @else if (form.controls.email.hasError('email')) {
            <mat-error>Enter a valid email address.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>Name (optional)</mat-label>
          <input matInput formControlName="name" autocomplete="off" />
        </mat-form-field>
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>Role</mat-label>
          <mat-select formControlName="role">
            @for (r of roles; track r) {
              <mat-option [value]="r">{{ roleLabels[r] }}</mat-option>
            }
          </mat-select>
          <mat-hint>Used when the provider's claims name no role. You cannot give a role above your own.</mat-hint>
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [attr.aria-disabled]="submitting()">{{ submitting() ? 'Creating…' : 'Create user' }}</button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UserCreateDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<UserCreateDialog, User>>(MatDialogRef);

  protected readonly roles = USER_ROLES;
  protected readonly roleLabels = USER_ROLE_LABELS;
  protected readonly form = new FormGroup({
    email: new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.email, Validators.maxLength(320)] }),
    name: new FormControl('', { nonNullable: true, validators: [Validators.maxLength(200)] }),
    role: new FormControl<UserRole>('readonly', { nonNullable: true }),
  });
  protected readonly submitting = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  protected submit(): void {
    if (this.submitting()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const value = this.form.getRawValue();
    this.submitting.set(true);
    this.error.set(null);
    this.api.createUser({ email: value.email.trim(), name: value.name.trim() || null, role: value.role }).subscribe({
      next: (user) => {
        this.submitting.set(false);
        this.dialogRef.close(user);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
