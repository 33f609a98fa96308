import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { AbstractControl, FormControl, FormGroup, ReactiveFormsModule, ValidationErrors, ValidatorFn, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { ApiError, SpendClient, toApiError } from '@ailink/portal-data-access';
import { SPEND_PROVIDER_KEYS, type PricingRow, type PutPricingRequest } from '@ailink/shared-contracts';
import { ApiErrorAlert } from '../shared/api-error-alert';
import { integerValidator } from '../shared/forms';
import { usdValidator } from './spend-format';

export interface PricingDialogData {
  /** The organisation's override to edit (its provider and pattern are its key and stay fixed). */
  readonly override?: PricingRow;
  /** A built-in row to start a new override from (provider, pattern and prices prefilled). */
  readonly template?: PricingRow;
}

/** What the dialog saved: the id the API answered and the key it was saved under. */
export interface PricingDialogResult {
  readonly id: string;
  readonly provider: string;
  readonly model_pattern: string;
}

/** Providers as the select lists them (vault-and-spend.md §4 provider keys). */
export const PROVIDER_LABELS: Readonly<Partial<Record<string, string>>> = {
  openai: 'OpenAI',
  azure_openai: 'Azure OpenAI',
  anthropic: 'Anthropic',
  google: 'Google (Gemini)',
  bedrock: 'AWS Bedrock',
  groq: 'Groq',
  mistral: 'Mistral',
  together: 'Together',
  cohere: 'Cohere',
  ollama: 'Ollama',
  unknown: 'Unknown',
  '*': 'Any provider (*)',
};

/** A provider key for people: "openai" → "OpenAI"; unknown keys as they are. */
export function providerLabel(provider: string): string {
  return PROVIDER_LABELS[provider] ?? provider;
}

/** The API's limits (pricing.service): patterns ≤ 255 characters, no whitespace; max output tokens 1–10,000,000. */
export const MAX_PATTERN_LENGTH = 255;
export const MAX_OUTPUT_TOKENS = 10_000_000;

// eslint-disable-next-line no-control-regex
const PATTERN_CHARACTERS = /^[^\s\u0000-\u001f\u007f]+$/;

/** The pattern, trimmed as it is sent, has no whitespace or control characters (the API refuses them with 422). */
const patternCharactersValidator: ValidatorFn = (control: AbstractControl): ValidationErrors | null => {
  const value = String(control.value ?? '').trim();
  return !value || PATTERN_CHARACTERS.test(value) ? null : { pattern: true };
};

/** A decimal price as stored ("2.500000") the way a person types it ("2.5"). */
function editablePrice(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const n = Number(value);
  return Number.isFinite(n) ? String(n) : value;
}

/**
 * Create or edit an organisation price override (`PUT /pricing`, upsert on provider + pattern). The
 * API's refusals (400 empty or wrong type, 422 invalid pattern, provider or price) are shown here.
 */
@Component({
  selector: 'ailink-pricing-dialog',
  imports: [ReactiveFormsModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatSelectModule, MatButtonModule, ApiErrorAlert],
  templateUrl: './pricing-dialog.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class PricingDialog {
  private readonly spend = inject(SpendClient);
  private readonly dialogRef = inject<MatDialogRef<PricingDialog, PricingDialogResult>>(MatDialogRef);
  private readonly data = inject<PricingDialogData>(MAT_DIALOG_DATA);
  protected readonly editing = this.data.override ?? null;
  private readonly source = this.data.override ?? this.data.template ?? null;

  protected readonly providers = SPEND_PROVIDER_KEYS;
  protected readonly providerLabel = providerLabel;
  protected readonly maxPatternLength = MAX_PATTERN_LENGTH;
  protected readonly maxOutputTokens = MAX_OUTPUT_TOKENS;

  protected readonly form = new FormGroup({
    provider: new FormControl(
      { value: this.source?.provider ?? 'openai', disabled: this.editing !== null },
      { nonNullable: true, validators: [Validators.required] },
    ),
    pattern: new FormControl(
      { value: this.source?.model_pattern ?? '', disabled: this.editing !== null },
      {
        nonNullable: true,
        validators: [Validators.required, Validators.maxLength(MAX_PATTERN_LENGTH), patternCharactersValidator],
      },
    ),
    input: new FormControl(editablePrice(this.source?.input_per_m), { nonNullable: true, validators: [Validators.required, usdValidator] }),
    output: new FormControl(editablePrice(this.source?.output_per_m), {
      nonNullable: true,
      validators: [Validators.required, usdValidator],
    }),
    cached: new FormControl(editablePrice(this.source?.cached_input_per_m), { nonNullable: true, validators: [usdValidator] }),
    maxOutput: new FormControl<number | null>(this.source?.max_output_tokens ?? null, [
      Validators.min(1),
      Validators.max(MAX_OUTPUT_TOKENS),
      integerValidator,
    ]),
  });

  protected readonly submitting = signal(false);
  protected readonly error = signal<ApiError | null>(null);

  protected submit(): void {
    if (this.submitting()) return;
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const v = this.form.getRawValue();
    const maxOutput = v.maxOutput === null || (v.maxOutput as unknown) === '' ? null : Number(v.maxOutput);
    const body: PutPricingRequest = {
      provider: v.provider,
      model_pattern: v.pattern.trim(),
      input_per_m: v.input.trim(),
      output_per_m: v.output.trim(),
      cached_input_per_m: v.cached.trim() || null,
      max_output_tokens: maxOutput,
    };
    this.submitting.set(true);
    this.error.set(null);
    this.spend.putPrice(body).subscribe({
      next: (saved) => {
        this.submitting.set(false);
        this.dialogRef.close({ id: saved.id, provider: body.provider, model_pattern: body.model_pattern });
      },
      error: (error: unknown) => {
        this.submitting.set(false);
        this.error.set(toApiError(error));
      },
    });
  }
}
