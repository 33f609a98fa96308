import { AbstractControl, ValidationErrors, ValidatorFn } from '@angular/forms';

/** An absolute http(s) URL with a host (the API refuses anything else with 400). */
export const httpUrlValidator: ValidatorFn = (control: AbstractControl): ValidationErrors | null => {
  const value = String(control.value ?? '').trim();
  if (!value) return null;
  try {
    const url = new URL(value);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return null;
  } catch {
    /* not a URL */
  }
  return { httpUrl: true };
};

/** A whole number (the inputs are `type="number"`, so the value is a number or null). */
export const integerValidator: ValidatorFn = (control: AbstractControl): ValidationErrors | null => {
  const value = control.value as number | null;
  if (value === null || value === undefined || (value as unknown) === '') return null;
  return Number.isInteger(Number(value)) ? null : { integer: true };
};

/** A `datetime-local` value that lies in the future (empty is fine). */
export const futureDateTimeValidator: ValidatorFn = (control: AbstractControl): ValidationErrors | null => {
  const value = String(control.value ?? '');
  if (!value) return null;
  const time = new Date(value).getTime();
  if (Number.isNaN(time)) return { dateTime: true };
  return time > Date.now() ? null : { past: true };
};

/** An HTTP header (or query parameter) name: an RFC 9110 token. */
export const HEADER_NAME_PATTERN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** A `datetime-local` value (local time, no zone) as RFC 3339 UTC; empty or invalid → undefined. */
export function localDateTimeToRfc3339(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
