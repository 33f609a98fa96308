import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import type { ModelAccessGroup } from '@ailink/shared-contracts';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { linesOf } from './identity-format';

export interface ModelAccessDialogData {
  /** The group to edit; absent to create one. */
  readonly group?: ModelAccessGroup;
}

/** Create or edit a model access group: a name and model patterns, one per line. */
@Component({
  selector: 'ailink-model-access-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatButtonModule, ApiErrorAlert],
  template: `
    <h2 mat-dialog-title>{{ editing ? 'Edit “' + editing.name + '”' : 'New model access group' }}</h2>
    <form [formGroup]="form" (ngSubmit)="submit()" novalidate class="dialog-form">
      <mat-dialog-content>
        <ailink-api-error-alert [error]="error()" testId="save-error" />
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>Name</mat-label>
          <input matInput formControlName="name" autocomplete="off" required cdkFocusInitial />
          @if (form.controls.name.hasError('required')) {
            <mat-error>Enter a name.</mat-error>
          }
        </mat-form-field>
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>Description (optional)</mat-label>
          <input matInput formControlName="description" autocomplete="off" />
        </mat-form-field>
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>Models</mat-label>
          <textarea matInput formControlName="models" rows="5" spellcheck="false"></textarea>
          <mat-hint
            >One pattern per line, case-insensitive: <code>gpt-4o*</code> (prefix), <code>*mini*</code>, <code>*</code> (all).</mat-hint
          >
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [attr.aria-disabled]="submitting()">
          {{ submitting() ? 'Saving…' : editing ? 'Save group' : 'Create group' }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ModelAccessDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<ModelAccessDialog, ModelAccessGroup>>(MatDialogRef);
  protected readonly editing = inject<ModelAccessDialogData>(MAT_DIALOG_DATA)?.group ?? null;

  protected readonly form = new FormGroup({
    name: new FormControl(this.editing?.name ?? '', { nonNullable: true, validators: [Validators.required, Validators.maxLength(200)] }),
    description: new FormControl(this.editing?.description ?? '', { nonNullable: true, validators: [Validators.maxLength(2000)] }),
    models: new FormControl((this.editing?.models ?? []).join('\n'), { nonNullable: true }),
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
    const body = { name: value.name.trim(), description: value.description.trim() || null, models: linesOf(value.models) };
    this.submitting.set(true);
    this.error.set(null);
    const request = this.editing ? this.api.updateModelAccessGroup(this.editing.id, body) : this.api.createModelAccessGroup(body);
    request.subscribe({
      next: (group) => {
        this.submitting.set(false);
        this.dialogRef.close(group);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
