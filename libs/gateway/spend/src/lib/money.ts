/** Money helpers: amounts are kept as integer micro-USD (6 decimal places, like `numeric(12,6)`). */

export const MICROS_PER_USD = 1_000_000;
/** The largest amount a `numeric(12,6)` column holds: 999999.999999 USD. */
export const MAX_MICROS = 999_999_999_999;

export type UsdParse = { ok: true; micros: number } | { ok: false; problem: 'type' | 'negative' | 'too_large' };

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Reads a money value given as a JSON number or a decimal string (spec README, "Money": requests
 * accept either form), rounded half up to 6 decimal places. `type`: not a number or decimal string;
 * `negative`: below zero; `too_large`: over 999999.999999.
 */
export function parseUsd(value: unknown): UsdParse {
  let micros: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, problem: 'type' };
    if (value < 0) return { ok: false, problem: 'negative' };
    if (value > MAX_MICROS / MICROS_PER_USD) return { ok: false, problem: 'too_large' };
    micros = Math.round(value * MICROS_PER_USD);
  } else if (typeof value === 'string') {
    const match = DECIMAL.exec(value.trim());
    if (!match) return { ok: false, problem: 'type' };
    const [, sign, whole, fraction = ''] = match;
    const digits = (fraction + '0000000').slice(0, 7);
    micros = Number(whole) * MICROS_PER_USD + Math.floor(Number(digits) / 10) + (Number(digits[6]) >= 5 ? 1 : 0);
    if (sign === '-' && micros > 0) return { ok: false, problem: 'negative' };
    if (whole.length > 6 || micros > MAX_MICROS) return { ok: false, problem: 'too_large' };
  } else {
    return { ok: false, problem: 'type' };
  }
  if (micros > MAX_MICROS) return { ok: false, problem: 'too_large' };
  return { ok: true, micros };
}

/** A `numeric` value as PostgreSQL returns it (`"2.500000"`) → micro-USD. */
export function decimalToMicros(text: string | number | null | undefined): number {
  if (text === null || text === undefined) return 0;
  const parsed = parseUsd(typeof text === 'number' ? text : String(text));
  return parsed.ok ? parsed.micros : 0;
}

/** micro-USD → decimal string with 6 places (`1250` → `"0.001250"`), as stored money serialises. */
export function microsToDecimal(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(Math.round(micros));
  return `${sign}${Math.floor(abs / MICROS_PER_USD)}.${String(abs % MICROS_PER_USD).padStart(6, '0')}`;
}

/** micro-USD → JSON number (computed aggregates serialise as numbers). */
export function microsToUsd(micros: number): number {
  return Number(microsToDecimal(micros));
}

/** `"$5.00"`-style amount for messages (at least 2 decimals, more when needed). */
export function formatDollars(micros: number): string {
  const text = microsToDecimal(micros).replace(/0+$/, '');
  const [whole, fraction = ''] = text.split('.');
  return `$${whole}.${fraction.padEnd(2, '0')}`;
}
