/** How one field differs between an entry's `before` and `after` snapshots. */
export type DiffChange = 'added' | 'removed' | 'changed' | 'unchanged';

export interface DiffRow {
  /** Dotted path of the field (`circuit_breaker.enabled`); arrays are compared whole. */
  readonly field: string;
  /** The value before, as text; null when the field did not exist. */
  readonly before: string | null;
  /** The value after, as text; null when the field does not exist any more. */
  readonly after: string | null;
  readonly change: DiffChange;
}

const MAX_DEPTH = 8;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value for display: strings as they are, everything else as compact JSON. */
export function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}

/** Leaf values by dotted path, in the object's key order; empty objects and arrays are leaves. */
function flatten(value: unknown, prefix = '', depth = 0, out = new Map<string, unknown>()): Map<string, unknown> {
  if (!isPlainObject(value)) {
    if (prefix) out.set(prefix, value);
    return out;
  }
  const keys = Object.keys(value);
  if ((keys.length === 0 || depth >= MAX_DEPTH) && prefix) {
    out.set(prefix, value);
    return out;
  }
  for (const key of keys) flatten(value[key], prefix ? `${prefix}.${key}` : key, depth + 1, out);
  return out;
}

/**
 * The field-by-field difference between two snapshots (objects; anything else counts as no
 * fields). Fields keep the order of `after`, then those only `before` had. A create shows every
 * field as added, a delete every field as removed.
 */
export function diffSnapshots(before: unknown, after: unknown): DiffRow[] {
  const was = flatten(before);
  const now = flatten(after);
  const fields = [...Array.from(now.keys()), ...Array.from(was.keys()).filter((k) => !now.has(k))];
  return fields.map((field): DiffRow => {
    const inBefore = was.has(field);
    const inAfter = now.has(field);
    const b = inBefore ? displayValue(was.get(field)) : null;
    const a = inAfter ? displayValue(now.get(field)) : null;
    let change: DiffChange;
    if (!inBefore) change = 'added';
    else if (!inAfter) change = 'removed';
    else change = JSON.stringify(was.get(field)) === JSON.stringify(now.get(field)) ? 'unchanged' : 'changed';
    return { field, before: b, after: a, change };
  });
}

/** "2 fields changed, 1 added" (or "No field changed"). */
export function diffSummary(rows: readonly DiffRow[]): string {
  const count = (change: DiffChange) => rows.filter((r) => r.change === change).length;
  const parts: string[] = [];
  const changed = count('changed');
  const added = count('added');
  const removed = count('removed');
  if (changed) parts.push(`${changed} ${changed === 1 ? 'field' : 'fields'} changed`);
  if (added) parts.push(`${added} added`);
  if (removed) parts.push(`${removed} removed`);
  return parts.length ? parts.join(', ') : 'No field changed';
}
