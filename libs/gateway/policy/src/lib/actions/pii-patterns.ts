/**
 * The 12 PII types of guardrails.md §4 as used by the `redact` action, in table order (a span
 * matched by an earlier type is not matched again by a later one). Each pattern runs in linear time
 * on any input: quantifiers are bounded, and a pattern that could start anywhere inside a long run is
 * anchored by a look-behind. Built-in patterns match at most {@link MAX_BUILTIN_MATCH} characters,
 * less than the 256 characters the incremental stream guard withholds (guardrails.md §6). Keep in step with the audit scrubber's copy
 * (libs/gateway/audit/src/lib/audit-scrubber.ts); the guardrails feature will own the one shared
 * library.
 */
export interface PiiPattern {
  type: PiiTypeName;
  /** Global regex (`g` flag): every match is a candidate span. */
  pattern: RegExp;
  replacement: string;
  /** Extra check on a match (Luhn for card numbers). */
  accept?: (match: string) => boolean;
}

export type PiiTypeName =
  | 'email'
  | 'ssn'
  | 'credit_card'
  | 'api_key'
  | 'phone'
  | 'iban'
  | 'dob'
  | 'ipv4'
  | 'passport'
  | 'aws_key'
  | 'drivers_license'
  | 'mrn';

/** Luhn checksum over a digit string. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

export const PII_PATTERNS: readonly PiiPattern[] = [
  {
    type: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,40}\.[A-Za-z]{2,20}/g,
    replacement: '[REDACTED_EMAIL]',
  },
  { type: 'ssn', pattern: /\b\d{3}-\d{2}-\d{4}\b/g, replacement: '[REDACTED_SSN]' },
  {
    type: 'credit_card',
    pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g,
    replacement: '[REDACTED_CC]',
    accept: (match) => luhn(match.replace(/[ -]/g, '')),
  },
  { type: 'api_key', pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,200}/g, replacement: '[REDACTED_API_KEY]' },
  {
    type: 'phone',
    pattern: /(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}\b/g,
    replacement: '[REDACTED_PHONE]',
  },
  { type: 'iban', pattern: /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/g, replacement: '[REDACTED_IBAN]' },
  {
    type: 'dob',
    pattern: /\b(?:(?:0[1-9]|1[0-2])\/(?:0[1-9]|[12]\d|3[01])\/(?:19|20)\d{2}|(?:0[1-9]|[12]\d|3[01])-(?:0[1-9]|1[0-2])-(?:19|20)\d{2})\b/g,
    replacement: '[REDACTED_DOB]',
  },
  {
    type: 'ipv4',
    pattern: /\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b/g,
    replacement: '[REDACTED_IP]',
  },
  { type: 'passport', pattern: /\b[A-Z]{2}\d{7,9}\b/g, replacement: '[REDACTED_PASSPORT]' },
  { type: 'aws_key', pattern: /\bAKIA[A-Z0-9]{16}\b/g, replacement: '[REDACTED_AWS_KEY]' },
  { type: 'drivers_license', pattern: /\b[A-Z]\d{7,12}\b/g, replacement: '[REDACTED_DL]' },
  { type: 'mrn', pattern: /\bMRN?[-:]?\s?\d{5,12}\b/g, replacement: '[REDACTED_MRN]' },
];

/** By type name. */
export const PII_BY_TYPE: ReadonlyMap<string, PiiPattern> = new Map(PII_PATTERNS.map((p) => [p.type, p]));

/** Longest text a built-in pattern can match (`sk-` + 200): less than the stream guard's window. */
export const MAX_BUILTIN_MATCH = 203;
