import type { TokenSpendPeriod } from '@ailink/shared-contracts';
import { AbstractControl, ValidationErrors, ValidatorFn } from '@angular/forms';

/**
 * USD for display: at least 2 decimals, up to 6 for small amounts (the gateway counts in micro-USD),
 * trailing zeros beyond the cents dropped: 5 → "$5.00", 0.00105 → "$0.00105", 12.5 → "$12.50".
 */
export function formatUsd(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const sign = n < 0 ? '-' : '';
  const fixed = Math.abs(n).toFixed(6);
  const [whole, fraction] = fixed.split('.');
  const trimmed = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `${sign}$${Number(whole).toLocaleString('en-US')}.${trimmed}`;
}

/** A decimal price or cap as typed (digits, optional point and up to 6 decimals); the API takes it as a decimal string. */
export const USD_PATTERN = /^\d+(\.\d{1,6})?$/;

/** A non-negative USD amount with at most 6 decimals (empty is left to `Validators.required`). */
export const usdValidator: ValidatorFn = (control: AbstractControl): ValidationErrors | null => {
  const value = String(control.value ?? '').trim();
  if (!value) return null;
  return USD_PATTERN.test(value) ? null : { usd: true };
};

/** Like `usdValidator`, and strictly greater than zero (spend caps: `limit_usd > 0`). */
export const positiveUsdValidator: ValidatorFn = (control: AbstractControl): ValidationErrors | null => {
  const value = String(control.value ?? '').trim();
  if (!value) return null;
  if (!USD_PATTERN.test(value)) return { usd: true };
  return Number(value) > 0 ? null : { positive: true };
};

export const PERIOD_LABELS: Readonly<Record<TokenSpendPeriod, string>> = {
  daily: 'Daily',
  monthly: 'Monthly',
  lifetime: 'Lifetime',
};

/** What each period covers (vault-and-spend.md §6: UTC day, UTC month, the token's life). */
export const PERIOD_SCOPES: Readonly<Record<TokenSpendPeriod, string>> = {
  daily: 'today (UTC)',
  monthly: 'this month (UTC)',
  lifetime: 'since the token was created',
};

/** A rounded-up axis maximum (1, 2, 2.5, 5 × 10^k) so gridline labels read well. Never below $0.01. */
export function niceCeiling(value: number): number {
  if (!(value > 0.01)) return 0.01;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * magnitude;
    if (candidate >= value - 1e-12) return Number(candidate.toPrecision(12));
  }
  return 10 * magnitude;
}
