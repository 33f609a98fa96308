import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiClient, ApiError, toApiError } from '@ailink/portal-data-access';
import { BUDGET_DURATIONS, type BudgetDuration, type CreateTeamRequest, type Team } from '@ailink/shared-contracts';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { linesOf, pairsOf, pairsText } from './identity-format';

export interface TeamDialogData {
  /** The team to edit; absent to create one. */
  readonly team?: Team;
}

const PERIOD_LABELS: Readonly<Record<BudgetDuration, string>> = { daily: 'Day', weekly: 'Week', monthly: 'Month', yearly: 'Year' };

function tagsValidator(control: AbstractControl): ValidationErrors | null {
  return pairsOf(String(control.value ?? '')).bad.length > 0 ? { tags: true } : null;
}

/** Create or edit a team: name, budget, allowed models and tags. */
@Component({
  selector: 'ailink-team-dialog',
  imports: [
    ReactiveFormsModule,
    MatDialogModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatCheckboxModule,
    MatButtonModule,
    ApiErrorAlert,
  ],
  template: `
    <h2 mat-dialog-title>{{ editing ? 'Edit team “' + editing.name + '”' : 'New team' }}</h2>
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
        <div class="form-row">
          <mat-form-field appearance="outline" subscriptSizing="dynamic">
            <mat-label>Budget in USD (optional)</mat-label>
            <input matInput type="number" min="0" step="0.01" formControlName="budget" />
            <mat-hint>Empty: no team budget.</mat-hint>
            @if (form.controls.budget.hasError('min')) {
              <mat-error>Enter zero or more.</mat-error>
            }
          </mat-form-field>
          <mat-form-field appearance="outline" subscriptSizing="dynamic">
            <mat-label>Budget period</mat-label>
            <mat-select formControlName="period">
              @for (p of periods; track p) {
                <mat-option [value]="p">{{ periodLabels[p] }}</mat-option>
              }
            </mat-select>
          </mat-form-field>
        </div>
        <mat-checkbox formControlName="restrictModels">Restrict the models this team's tokens may call</mat-checkbox>
        @if (restrictModels()) {
          <mat-form-field appearance="outline" subscriptSizing="dynamic">
            <mat-label>Allowed models</mat-label>
            <textarea matInput formControlName="models" rows="4" spellcheck="false"></textarea>
            <mat-hint>One pattern per line, e.g. <code>gpt-4o*</code>. Empty: no model is allowed.</mat-hint>
          </mat-form-field>
        }
        <mat-form-field appearance="outline" subscriptSizing="dynamic">
          <mat-label>Tags (optional)</mat-label>
          <textarea matInput formControlName="tags" rows="3" spellcheck="false"></textarea>
          <mat-hint>One <code>key = value</code> per line; added to the audit records of the team's tokens.</mat-hint>
          @if (form.controls.tags.hasError('tags')) {
            <mat-error>Write each tag as key = value.</mat-error>
          }
        </mat-form-field>
      </mat-dialog-content>
      <mat-dialog-actions align="end">
        <button mat-button type="button" mat-dialog-close>Cancel</button>
        <button mat-flat-button type="submit" [attr.aria-disabled]="submitting()">
          {{ submitting() ? 'Saving…' : editing ? 'Save team' : 'Create team' }}
        </button>
      </mat-dialog-actions>
    </form>
  `,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class TeamDialog {
  private readonly api = inject(ApiClient);
  private readonly dialogRef = inject<MatDialogRef<TeamDialog, Team>>(MatDialogRef);
  protected readonly editing = inject<TeamDialogData>(MAT_DIALOG_DATA)?.team ?? null;
  protected readonly periods = BUDGET_DURATIONS;
  protected readonly periodLabels = PERIOD_LABELS;

  protected readonly form = new FormGroup({
    name: new FormControl(this.editing?.name ?? '', { nonNullable: true, validators: [Validators.required, Validators.maxLength(200)] }),
    description: new FormControl(this.editing?.description ?? '', { nonNullable: true, validators: [Validators.maxLength(2000)] }),
    budget: new FormControl<number | null>(this.editing?.max_budget_usd != null ? Number(this.editing.max_budget_usd) : null, {
      validators: [Validators.min(0)],
    }),
    period: new FormControl<BudgetDuration>(this.editing?.budget_duration ?? 'monthly', { nonNullable: true }),
    restrictModels: new FormControl(this.editing ? this.editing.allowed_models !== null : false, { nonNullable: true }),
    models: new FormControl((this.editing?.allowed_models ?? []).join('\n'), { nonNullable: true }),
    tags: new FormControl(pairsText(this.editing?.tags), { nonNullable: true, validators: [tagsValidator] }),
  });
  protected readonly restrictModels = toSignal(this.form.controls.restrictModels.valueChanges, {
    initialValue: this.form.controls.restrictModels.value,
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
    const body: CreateTeamRequest = {
      name: value.name.trim(),
      description: value.description.trim() || null,
      max_budget_usd: value.budget === null || (value.budget as unknown) === '' ? null : value.budget,
      budget_duration: value.budget === null ? null : value.period,
      allowed_models: value.restrictModels ? linesOf(value.models) : null,
      tags: pairsOf(value.tags).pairs,
    };
    this.submitting.set(true);
    this.error.set(null);
    const request = this.editing ? this.api.updateTeam(this.editing.id, body) : this.api.createTeam(body);
    request.subscribe({
      next: (team) => {
        this.submitting.set(false);
        this.dialogRef.close(team);
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
