import { redactVirtualTokens } from '@ailink/gateway-core';

/**
 * Scrubs a request body before reviewers see it (`request_summary.body_preview`, the
 * `approval_requested` event): the level-1 scrubbing of the audit trail. A DI token, so that the
 * guardrails feature's shared PII library can replace the built-in patterns when it lands.
 */
export abstract class ApprovalBodyScrubber {
  abstract scrub(text: string): string;
}

/** Linear-time patterns (bounded quantifiers) for the PII types and secret shapes a preview must not show. */
const PATTERNS: readonly { pattern: RegExp; replacement: string | ((match: string) => string) }[] = [
  { pattern: /\bailink_admin_[A-Za-z0-9]{16,}/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /\bak_live_[A-Za-z0-9_]{16,}/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,200}/g, replacement: '[REDACTED_API_KEY]' },
  { pattern: /\bAKIA[A-Z0-9]{16}\b/g, replacement: '[REDACTED_AWS_KEY]' },
  { pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, replacement: '[REDACTED_SECRET]' },
  { pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replacement: '[REDACTED_JWT]' },
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/gi, replacement: '$1 [REDACTED_SECRET]' },
  {
    pattern: /-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----[\s\S]{0,8192}?-----END [A-Z ]{0,40}PRIVATE KEY-----/g,
    replacement: '[REDACTED_PRIVATE_KEY]',
  },
  {
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}/g,
    replacement: '[REDACTED_EMAIL]',
  },
  { pattern: /\b\d{3}-\d{2}-\d{4}\b/g, replacement: '[REDACTED_SSN]' },
  { pattern: /\b\d(?:[ -]?\d){12,18}\b/g, replacement: (match) => (luhn(match.replace(/[ -]/g, '')) ? '[REDACTED_CC]' : match) },
  { pattern: /(?<![\w+])(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}\b/g, replacement: '[REDACTED_PHONE]' },
  { pattern: /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/g, replacement: '[REDACTED_IBAN]' },
  {
    pattern: /\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b/g,
    replacement: '[REDACTED_IP]',
  },
];

/** JSON keys whose scalar values are secrets wherever they appear. */
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

export function scrubPreviewText(text: string): string {
  let out = redactVirtualTokens(text);
  for (const { pattern, replacement } of PATTERNS) {
    out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
  }
  return out;
}

function scrubJson(value: unknown): unknown {
  if (typeof value === 'string') return scrubPreviewText(value);
  if (Array.isArray(value)) return value.map(scrubJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      out[scrubPreviewText(key)] = SECRET_KEYS.test(key) && inner !== null && typeof inner !== 'object' ? '[REDACTED]' : scrubJson(inner);
    }
    return out;
  }
  return value;
}

/** The built-in scrubber: JSON bodies are walked (strings scrubbed, secret-named keys masked), anything else scrubbed as text. */
export class DefaultApprovalBodyScrubber extends ApprovalBodyScrubber {
  scrub(text: string): string {
    const trimmed = text.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return JSON.stringify(scrubJson(JSON.parse(text)));
      } catch {
        // Not JSON after all (or cut short): scrubbed as text.
      }
    }
    return scrubPreviewText(text);
  }
}
