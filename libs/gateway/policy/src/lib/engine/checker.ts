import type { ValidationProblem } from '@ailink/shared-contracts';
import { childPath } from './json-path';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Describes a JSON value's type for messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const DURATION = /^([1-9]\d{0,8})([smhd])$/;
const UNIT_SECS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds of a policy duration (`30s`, `5m`, `1h`, `1d`), or undefined when malformed. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_SECS[match[2] ?? 's'] ?? 1);
}

/**
 * Collects every problem of a document with its JSON path (policies.md §2: all problems, not the
 * first), with typed readers that record a problem and return undefined on a mismatch.
 */
export class Checker {
  readonly problems: ValidationProblem[] = [];

  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Records every key of `obj` outside `allowed` (and `ignored`) as unknown. */
  unknownKeys(obj: JsonObject, path: string, allowed: readonly string[], what: string, ignored: readonly string[] = []): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key) && !ignored.includes(key)) this.add(childPath(path, key), `unknown ${what} '${key}'`);
    }
  }

  string(value: unknown, path: string, options: { min?: number; max?: number } = {}): string | undefined {
    if (typeof value !== 'string') {
      this.add(path, `expected a string, got ${typeName(value)}`);
      return undefined;
    }
    const min = options.min ?? 0;
    if (value.length < min || (min > 0 && value.trim().length === 0)) {
      this.add(path, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
      return undefined;
    }
    if (options.max !== undefined && value.length > options.max) {
      this.add(path, `must be at most ${options.max} characters`);
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== 'boolean') {
      this.add(path, `expected a boolean, got ${typeName(value)}`);
      return undefined;
    }
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(path, `expected an integer, got ${typeof value === 'number' ? value : typeName(value)}`);
      return undefined;
    }
    if (value < min || value > max) {
      this.add(path, max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}` : `must be between ${min} and ${max}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, options: readonly T[], what = 'value'): T | undefined {
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    const shown = typeof value === 'string' ? `'${value}'` : typeName(value);
    this.add(path, `unknown ${what} ${shown}; expected one of ${options.map((o) => `'${o}'`).join(', ')}`);
    return undefined;
  }

  object(value: unknown, path: string): JsonObject | undefined {
    if (!isObject(value)) {
      this.add(path, `expected an object, got ${typeName(value)}`);
      return undefined;
    }
    return value;
  }

  array(value: unknown, path: string, options: { min?: number; max?: number } = {}): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.add(path, `expected an array, got ${typeName(value)}`);
      return undefined;
    }
    if (options.min !== undefined && value.length < options.min) {
      this.add(path, `must hold at least ${options.min} item${options.min === 1 ? '' : 's'}`);
      return undefined;
    }
    if (options.max !== undefined && value.length > options.max) {
      this.add(path, `must hold at most ${options.max} items, got ${value.length}`);
      return undefined;
    }
    return value;
  }

  stringArray(value: unknown, path: string): string[] | undefined {
    const items = this.array(value, path);
    if (!items) return undefined;
    let ok = true;
    items.forEach((item, i) => {
      if (typeof item !== 'string') {
        this.add(`${path}[${i}]`, `expected a string, got ${typeName(item)}`);
        ok = false;
      }
    });
    return ok ? (items as string[]) : undefined;
  }

  stringMap(value: unknown, path: string): Record<string, string> | undefined {
    const obj = this.object(value, path);
    if (!obj) return undefined;
    let ok = true;
    for (const [key, item] of Object.entries(obj)) {
      if (typeof item !== 'string') {
        this.add(childPath(path, key), `expected a string, got ${typeName(item)}`);
        ok = false;
      }
    }
    return ok ? (obj as Record<string, string>) : undefined;
  }

  duration(value: unknown, path: string, minSecs: number, maxSecs: number, maxLabel: string): number | undefined {
    const secs = parseDuration(value);
    if (secs === undefined) {
      this.add(path, "expected duration like '60s', '5m', '1h', '1d'");
      return undefined;
    }
    if (secs < minSecs || secs > maxSecs) {
      this.add(path, `must be between 1s and ${maxLabel}`);
      return undefined;
    }
    return secs;
  }

  httpUrl(value: unknown, path: string): string | undefined {
    const text = this.string(value, path, { min: 1 });
    if (text === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(text.trim());
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      this.add(path, 'must be an absolute http or https URL');
      return undefined;
    }
    return text.trim();
  }
}
