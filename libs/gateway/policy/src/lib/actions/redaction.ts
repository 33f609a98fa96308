import type { PolicyAction, RedactDirection, RedactOnMatch } from '@ailink/shared-contracts';
import { compileRegex } from '../engine/regex';
import { PII_BY_TYPE, PII_PATTERNS } from './pii-patterns';

type RedactAction = Extract<PolicyAction, { action: 'redact' }>;

/** A matched span of text: `[start, end)` in UTF-16 units, with what replaces it and how it is reported. */
export interface Span {
  start: number;
  end: number;
  /** `email`, `ssn`, …, or `custom_{n}`. */
  name: string;
  replacement: string;
  /** Which of several redactions found it (see {@link ownedDetectors}). */
  owner?: number;
}

/** One detector of a redact action: a PII type or a custom RE2 pattern. */
export interface Detector {
  name: string;
  replacement: string;
  find(text: string, out: Span[]): void;
}

/** A `redact` action compiled once (patterns, fields), cached per action object. */
export interface CompiledRedaction {
  direction: RedactDirection;
  onMatch: RedactOnMatch;
  detectors: readonly Detector[];
  /** JSON keys whose values become `"[REDACTED]"` (reported as `field:{name}`). */
  fields: ReadonlySet<string>;
  /** Holds custom regexes (which force buffering of a guarded stream, guardrails.md §6). */
  hasCustomPatterns: boolean;
}

export const FIELD_REPLACEMENT = '[REDACTED]';

function builtinDetector(type: string): Detector | undefined {
  const pii = PII_BY_TYPE.get(type);
  if (!pii) return undefined;
  return {
    name: pii.type,
    replacement: pii.replacement,
    find(text, out) {
      const re = new RegExp(pii.pattern.source, pii.pattern.flags);
      for (const match of text.matchAll(re)) {
        if (match[0].length === 0 || (pii.accept && !pii.accept(match[0]))) continue;
        out.push({ start: match.index ?? 0, end: (match.index ?? 0) + match[0].length, name: pii.type, replacement: pii.replacement });
      }
    },
  };
}

function customDetector(pattern: string, n: number): Detector {
  const re = compileRegex(pattern);
  const name = `custom_${n}`;
  const replacement = `[REDACTED_CUSTOM_${n}]`;
  return {
    name,
    replacement,
    find(text, out) {
      if (!re.test(text)) return;
      const matcher = re.matcher(text);
      let from = 0;
      while (from <= text.length && matcher.find(from)) {
        const start = matcher.start();
        const end = matcher.end();
        if (end > start) out.push({ start, end, name, replacement });
        from = end > start ? end : end + 1;
      }
    },
  };
}

const compiled = new WeakMap<RedactAction, CompiledRedaction>();

/**
 * Compiles a `redact` action (guardrails.md §4): PII type names in table order, then custom
 * patterns (`custom_{n}`, n = position in `patterns`) in their order; `fields` as a key set.
 */
export function compileRedaction(action: RedactAction): CompiledRedaction {
  let result = compiled.get(action);
  if (result) return result;
  const patterns = action.patterns ?? [];
  const detectors: Detector[] = [];
  for (const pii of PII_PATTERNS) if (patterns.includes(pii.type)) detectors.push(builtinDetector(pii.type) as Detector);
  let hasCustomPatterns = false;
  patterns.forEach((pattern, n) => {
    if (PII_BY_TYPE.has(pattern)) return;
    hasCustomPatterns = true;
    detectors.push(customDetector(pattern, n));
  });
  result = {
    direction: action.direction ?? 'both',
    onMatch: action.on_match ?? 'redact',
    detectors,
    fields: new Set(action.fields ?? []),
    hasCustomPatterns,
  };
  compiled.set(action, result);
  return result;
}

/**
 * The spans of `text` the detectors match, sorted by start, none overlapping: detectors are taken in
 * order and a span overlapping one already taken is dropped (an earlier type wins).
 */
export function findSpans(text: string, detectors: readonly Detector[]): Span[] {
  if (text.length === 0 || detectors.length === 0) return [];
  let taken: Span[] = [];
  for (const detector of detectors) {
    const found: Span[] = [];
    detector.find(text, found);
    if (found.length === 0) continue;
    // Both lists are sorted and disjoint: merge, dropping new spans that overlap a taken one.
    const merged: Span[] = [];
    let i = 0;
    for (const span of found) {
      while (i < taken.length && taken[i].end <= span.start) merged.push(taken[i++]);
      if (i < taken.length && taken[i].start < span.end) continue;
      merged.push(span);
    }
    while (i < taken.length) merged.push(taken[i++]);
    taken = merged;
  }
  return taken;
}

/** Replaces `spans` (sorted, disjoint) in `text`. */
export function applySpans(text: string, spans: readonly Span[]): string {
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.start) + span.replacement;
    at = span.end;
  }
  return out + text.slice(at);
}

/** What a redaction pass found: the names in order of first match (`email`, `custom_0`, `field:password`). */
export class RedactionReport {
  readonly matched: string[] = [];
  add(name: string): void {
    if (!this.matched.includes(name)) this.matched.push(name);
  }
  get any(): boolean {
    return this.matched.length > 0;
  }
}

/** Redacts one string; `report` collects what matched. */
export function redactString(text: string, redaction: CompiledRedaction, report: RedactionReport): string {
  const spans = findSpans(text, redaction.detectors);
  for (const span of spans) report.add(span.name);
  return applySpans(text, spans);
}

/**
 * Walks every string value of a JSON value (guardrails.md §1: redaction walks the whole body),
 * replacing matches in place when `mutate`; values under a key named in `fields` become
 * `"[REDACTED]"`. Returns the (possibly replaced) value; `report` collects what matched.
 */
export function redactJson(value: unknown, redaction: CompiledRedaction, report: RedactionReport, mutate: boolean): unknown {
  if (typeof value === 'string') {
    const out = redactString(value, redaction, report);
    return mutate ? out : value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const next = redactJson(value[i], redaction, report, mutate);
      if (mutate) value[i] = next;
    }
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      if (redaction.fields.has(key) && obj[key] !== undefined) {
        report.add(`field:${key}`);
        if (mutate) obj[key] = FIELD_REPLACEMENT;
        continue;
      }
      const next = redactJson(obj[key], redaction, report, mutate);
      if (mutate) obj[key] = next;
    }
  }
  return value;
}

/** Does the redaction apply to this side? (`request` / `response` / `both`.) */
export function appliesTo(redaction: { direction: RedactDirection }, side: 'request' | 'response'): boolean {
  return redaction.direction === 'both' || redaction.direction === side;
}

/**
 * The detectors of several redactions in one list (in order), each span tagged with the index of the
 * redaction that found it: one scan decides what all of them replace or block.
 */
export function ownedDetectors(redactions: readonly CompiledRedaction[]): Detector[] {
  return redactions.flatMap((redaction, owner) =>
    redaction.detectors.map(
      (detector): Detector => ({
        name: detector.name,
        replacement: detector.replacement,
        find(text, out) {
          const from = out.length;
          detector.find(text, out);
          for (let i = from; i < out.length; i++) out[i].owner = owner;
        },
      }),
    ),
  );
}
