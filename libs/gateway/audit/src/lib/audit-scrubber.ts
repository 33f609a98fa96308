import type { IncomingHttpHeaders } from 'node:http';
import { redactVirtualTokens } from '@ailink/gateway-core';

/** Stored bodies are truncated at 1 MiB (audit-and-observability.md §1). */
export const MAX_STORED_BODY_BYTES = 1024 * 1024;

/** Headers whose values are always recorded as `***` (§1, "Masked headers"). */
export const MASKED_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-admin-key',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-goog-api-key',
  'api-key',
  'ocp-apim-subscription-key',
  'x-pan-token',
  'x-real-authorization',
  'x-upstream-authorization',
]);

export const MASK = '***';

interface PiiPattern {
  type: string;
  pattern: RegExp;
  replacement: string;
  /** Fewest ASCII digits a match contains (a cheap guard: most strings have none or one). */
  minDigits?: number;
  /** A substring every match contains. */
  marker?: string;
  /** Extra check on a match (Luhn for card numbers). */
  accept?: (match: string) => boolean;
}

/**
 * Every pattern here must run in linear time on any input (bodies are up to 1 MiB): quantifiers are
 * bounded, and a pattern that could start anywhere inside a long run is anchored by a look-behind.
 *
 * The 12 PII types of guardrails.md §4, applied in table order (a span replaced by an earlier type is
 * not matched again: replacements contain no digits). Regex-based; the guardrails feature owns the
 * shared pattern library, this copy only scrubs what the audit trail stores at log level 1.
 */
export const PII_PATTERNS: readonly PiiPattern[] = [
  {
    type: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}/g,
    replacement: '[REDACTED_EMAIL]',
    marker: '@',
  },
  { type: 'ssn', pattern: /\b\d{3}-\d{2}-\d{4}\b/g, replacement: '[REDACTED_SSN]', minDigits: 9 },
  {
    type: 'credit_card',
    pattern: /\b\d(?:[ -]?\d){12,18}\b/g,
    replacement: '[REDACTED_CC]',
    minDigits: 13,
    accept: (match) => luhn(match.replace(/[ -]/g, '')),
  },
  { type: 'api_key', pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,200}/g, replacement: '[REDACTED_API_KEY]', marker: 'sk-' },
  {
    type: 'phone',
    pattern: /(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}\b/g,
    replacement: '[REDACTED_PHONE]',
    minDigits: 10,
  },
  { type: 'iban', pattern: /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/g, replacement: '[REDACTED_IBAN]', minDigits: 2 },
  {
    type: 'dob',
    pattern: /\b(?:(?:0[1-9]|1[0-2])\/(?:0[1-9]|[12]\d|3[01])\/(?:19|20)\d{2}|(?:0[1-9]|[12]\d|3[01])-(?:0[1-9]|1[0-2])-(?:19|20)\d{2})\b/g,
    replacement: '[REDACTED_DOB]',
    minDigits: 8,
  },
  {
    type: 'ipv4',
    pattern: /\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b/g,
    replacement: '[REDACTED_IP]',
    minDigits: 4,
  },
  { type: 'passport', pattern: /\b[A-Z]{2}\d{7,9}\b/g, replacement: '[REDACTED_PASSPORT]', minDigits: 7 },
  { type: 'aws_key', pattern: /\bAKIA[A-Z0-9]{16}\b/g, replacement: '[REDACTED_AWS_KEY]', marker: 'AKIA' },
  { type: 'drivers_license', pattern: /\b[A-Z]\d{7,12}\b/g, replacement: '[REDACTED_DL]', minDigits: 7 },
  { type: 'mrn', pattern: /\bMRN?[-:]?\s?\d{5,12}\b/g, replacement: '[REDACTED_MRN]', minDigits: 5 },
];

/** Secrets that are not PII types: provider keys, bearer credentials, private keys, JWTs, our own keys. */
const SECRET_PATTERNS: readonly { pattern: RegExp; replacement: string }[] = [
  { pattern: /\bailink_admin_[A-Za-z0-9]{16,}/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /\bak_live_[A-Za-z0-9_]{16,}/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,}/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replacement: '[REDACTED_JWT]' },
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/gi, replacement: '$1 [REDACTED_SECRET]' },
];

/** JSON keys whose string values are secrets wherever they appear in a body. */
const SECRET_KEYS =
  /^(?:password|passwd|pwd|secret|client_secret|api[-_]?key|apikey|access[-_]?token|refresh[-_]?token|id[-_]?token|auth[-_]?token|authorization|private[-_]?key|secret[-_]?key|signing[-_]?secret)$/i;

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

const PEM_BEGIN = /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----/y;
const PEM_END = /-----END [A-Z ]{0,40}PRIVATE KEY-----/y;

/** PEM private-key blocks → `[REDACTED_PRIVATE_KEY]`, with indexOf scans (linear, unlike a lazy regex). */
function redactPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY-----')) return text;
  let out = '';
  let from = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', from);
    if (begin < 0) break;
    PEM_BEGIN.lastIndex = begin;
    if (!PEM_BEGIN.test(text)) {
      out += text.slice(from, begin + 11);
      from = begin + 11;
      continue;
    }
    let end = text.indexOf('-----END ', PEM_BEGIN.lastIndex);
    while (end >= 0) {
      PEM_END.lastIndex = end;
      if (PEM_END.test(text)) break;
      end = text.indexOf('-----END ', end + 9);
    }
    if (end < 0) break; // no complete block from here on
    out += text.slice(from, begin) + '[REDACTED_PRIVATE_KEY]';
    from = PEM_END.lastIndex;
  }
  return out + text.slice(from);
}

/**
 * A string none of the patterns can match, decided with one linear scan: every PII and secret
 * pattern above needs a digit, an `@`, or one of these literal markers (case-insensitive here, so
 * a superset). Most JSON keys and short values fail it and skip the 20 replacements.
 */
const MAY_NEED_SCRUBBING = /[0-9@]|sk-|akia|aiza|ailink_|ak_live_|gh[pousr]_|xox|eyj|bearer|basic|private key/i;

/** A substring (case-insensitive) one of the secret patterns needs. */
const SECRET_MARKERS = /ailink_admin_|ak_live_|aiza|gh[pousr]_|xox|eyj|bearer|basic/i;

/** ASCII digits in `text`, counted up to `cap`. */
function digitsIn(text: string, cap: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n < cap; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Replaces the 12 PII types and known secret shapes in one string; virtual tokens become public ids. */
export function scrubText(text: string): string {
  if (!MAY_NEED_SCRUBBING.test(text)) return text;
  let out = redactPrivateKeys(redactVirtualTokens(text));
  if (SECRET_MARKERS.test(out)) for (const { pattern, replacement } of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  // Replacements never add digits or markers, so guards computed once stay valid for the whole table.
  const digits = digitsIn(out, 13);
  for (const { pattern, replacement, accept, minDigits, marker } of PII_PATTERNS) {
    if ((minDigits !== undefined && digits < minDigits) || (marker !== undefined && !out.includes(marker))) continue;
    out = accept ? out.replace(pattern, (match) => (accept(match) ? replacement : match)) : out.replace(pattern, replacement);
  }
  return out;
}

/** Scrubs every string of a parsed JSON value; copy on write (an unchanged value is returned as is). */
function scrubJson(value: unknown): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const scrubbed = scrubJson(value[i]);
      if (scrubbed !== value[i]) (out ??= value.slice())[i] = scrubbed;
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    const source = value as Record<string, unknown>;
    const keys = Object.keys(source);
    let out: Record<string, unknown> | undefined;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const inner = source[key];
      const newKey = scrubText(key);
      const newValue = SECRET_KEYS.test(key) && inner !== null && typeof inner !== 'object' ? '[REDACTED]' : scrubJson(inner);
      if (!out && (newKey !== key || newValue !== inner)) {
        out = {};
        for (let j = 0; j < i; j++) out[keys[j]] = source[keys[j]];
      }
      if (out) out[newKey] = newValue;
    }
    return out ?? value;
  }
  return value;
}

/**
 * Level-1 scrubbing of a body: a JSON body is walked (every string scrubbed, secret-named keys
 * replaced), anything else is scrubbed as text.
 */
export function scrubBody(text: string): string {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      const scrubbed = scrubJson(parsed);
      // Nothing to hide: the body as received (byte for byte, not re-serialised).
      return scrubbed === parsed ? text : JSON.stringify(scrubbed);
    } catch {
      // Not JSON after all (or cut short): scrub as text.
    }
  }
  return scrubText(text);
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes = MAX_STORED_BODY_BYTES): string {
  // Fast path: even at 3 bytes per UTF-16 unit it fits.
  if (text.length * 3 <= maxBytes) return text;
  const buffer = Buffer.from(text, 'utf8');
  if (buffer.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString('utf8');
}

/**
 * The stored form of a body at a log level: undefined body → null; binary (NUL bytes) or
 * content-encoded bodies → a placeholder; level 1 scrubbed; level 2 raw except virtual tokens; both
 * truncated at 1 MiB. Only the first 1 MiB (plus a margin for patterns spanning the cut) is examined.
 */
export function storedBody(body: Buffer | undefined, level: 1 | 2, contentEncoding?: string): string | null {
  if (!body || body.length === 0) return null;
  const encoding = contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return `[${encoding}-encoded body: ${body.length} bytes]`;
  const head = body.length > MAX_STORED_BODY_BYTES + 4096 ? body.subarray(0, MAX_STORED_BODY_BYTES + 4096) : body;
  if (head.includes(0)) return `[binary body: ${body.length} bytes]`;
  const text = head.toString('utf8');
  const stored = level === 1 ? (head === body ? scrubBody(text) : scrubText(text)) : redactVirtualTokens(text);
  return truncateUtf8(stored);
}

/**
 * Headers as recorded at log levels 1 and 2: names lower-cased, several values joined with `, `,
 * the masked list and any `extraMasked` (a credential's `injection_header`, the virtual-token
 * carrier) as `***`, every `ailink_v1_…` replaced by the public id, the realtime subprotocol key hidden.
 */
export function recordedHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | number | undefined> | undefined,
  extraMasked: readonly string[] = [],
): Record<string, string> | null {
  if (!headers) return null;
  const extra = new Set(extraMasked.map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase();
    const value = Array.isArray(rawValue) ? rawValue.join(', ') : String(rawValue);
    if (MASKED_HEADERS.has(name) || extra.has(name)) out[name] = MASK;
    else if (name === 'sec-websocket-protocol')
      out[name] = value.replace(/openai-insecure-api-key\.[^,\s]+/g, `openai-insecure-api-key.${MASK}`);
    else out[name] = redactVirtualTokens(value);
  }
  return out;
}

/** `upstream_url` without credentials, query string or fragment (a `?key=` credential lives there). */
export function safeUpstreamUrl(url: string | undefined): string | null {
  if (!url) return null;
  const cut = url.search(/[?#]/);
  const base = cut >= 0 ? url.slice(0, cut) : url;
  return redactVirtualTokens(base.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1'));
}
