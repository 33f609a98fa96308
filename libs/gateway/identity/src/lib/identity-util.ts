import { ErrorCode, GatewayError } from '@ailink/gateway-core';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 400 unless `id` is a UUID (spec README: non-UUID path ids are `bad_request`); lower-cased. */
export function uuidParam(id: string, what: string): string {
  if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, `The ${what} id must be a UUID`);
  return id.toLowerCase();
}

/** A PostgreSQL unique violation, optionally of one named index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const name = e.driverError?.constraint ?? e.constraint;
  return code === '23505' && (constraint === undefined || name === undefined || name === constraint);
}

export function iso(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** Query-string integers; anything that is not all digits fails `IsInt`. */
export function queryInteger({ value }: { value: unknown }): unknown {
  return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
}

/** Largest amount a `numeric(12,4)` column holds. */
const MAX_MONEY = 99_999_999.9999;

/**
 * A money amount given as a JSON number or a decimal string (spec README, "Money"), as the decimal
 * string stored in a `numeric(12,4)` column; null when the problem is reported in `problems`.
 */
export function normaliseMoney(value: unknown, path: string, problems: { path: string; message: string }[]): string | null {
  let amount: number;
  if (typeof value === 'number') amount = value;
  else if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) amount = Number(value.trim());
  else {
    problems.push({ path, message: 'must be a non-negative number or decimal string' });
    return null;
  }
  if (!Number.isFinite(amount) || amount < 0 || amount > MAX_MONEY) {
    problems.push({ path, message: `must be between 0 and ${MAX_MONEY}` });
    return null;
  }
  return amount.toFixed(4);
}
