import type { PolicyOperator } from '@ailink/shared-contracts';
import type { FieldValue } from './fields';
import { globMatcher, regexMatcher, type TextMatcher } from './regex';

/** A compiled operator with its value bound: true when the condition holds for the field. */
export type OperatorTest = (field: FieldValue) => boolean;

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** The number a value stands for: numbers, and strings that parse as a decimal number. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/**
 * `eq` (policies.md §3): deep equality, where a string and a number are equal when the string
 * parses to that number.
 */
export function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return toNumber(b) === a;
  if (typeof a === 'string' && typeof b === 'number') return toNumber(a) === b;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => looseEqual(item, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && looseEqual(ra[k], rb[k]));
  }
  return false;
}

/** String test on a string field, or on any element of an array field. */
function stringOrAny(test: (s: string) => boolean): OperatorTest {
  return (field) => {
    if (!field.found) return false;
    const v = field.value;
    if (typeof v === 'string') return test(v);
    if (Array.isArray(v)) return v.some((item) => typeof item === 'string' && test(item));
    return false;
  };
}

function compare(value: unknown, holds: (field: number, bound: number) => boolean): OperatorTest {
  const bound = toNumber(value);
  return (field) => {
    if (!field.found || bound === undefined) return false;
    const n = toNumber(field.value);
    return n !== undefined && holds(n, bound);
  };
}

function containsTest(value: unknown): OperatorTest {
  const needle = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  return (field) => {
    if (!field.found) return false;
    const v = field.value;
    if (typeof v === 'string') return needle !== undefined && v.includes(needle);
    if (Array.isArray(v)) {
      return v.some((item) => looseEqual(item, value) || (needle !== undefined && typeof item === 'string' && item.includes(needle)));
    }
    return false;
  };
}

/**
 * Builds the test of `op` with its (validated) `value`. Throws only for values the validator
 * rejects (a regex or glob that does not compile).
 */
export function compileOperator(op: PolicyOperator, value: unknown): OperatorTest {
  switch (op) {
    case 'eq':
      return (field) => field.found && looseEqual(field.value, value);
    case 'neq':
      return (field) => field.found && !looseEqual(field.value, value);
    case 'gt':
      return compare(value, (a, b) => a > b);
    case 'gte':
      return compare(value, (a, b) => a >= b);
    case 'lt':
      return compare(value, (a, b) => a < b);
    case 'lte':
      return compare(value, (a, b) => a <= b);
    case 'in': {
      const options = Array.isArray(value) ? (value as unknown[]) : [];
      return (field) => field.found && options.some((option) => looseEqual(field.value, option));
    }
    case 'contains':
      return containsTest(value);
    case 'starts_with': {
      const prefix = String(value);
      return stringOrAny((s) => s.startsWith(prefix));
    }
    case 'ends_with': {
      const suffix = String(value);
      return stringOrAny((s) => s.endsWith(suffix));
    }
    case 'glob': {
      const matcher: TextMatcher = globMatcher(String(value));
      return stringOrAny((s) => matcher.test(s));
    }
    case 'regex': {
      const matcher: TextMatcher = regexMatcher(String(value));
      return stringOrAny((s) => matcher.test(s));
    }
    case 'exists': {
      const wanted = value === undefined || value === true;
      return (field) => field.found === wanted;
    }
  }
}
