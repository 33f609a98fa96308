import { redactVirtualTokens } from '@ailink/gateway-core';
import { ADMIN_AUDIT_MASK } from '@ailink/shared-contracts';

/**
 * Field names whose values are secrets, compared after lower-casing and dropping everything but
 * letters and digits (`client_secret`, `clientSecret` and `client-secret` are all `clientsecret`).
 * A name matches when it contains one of these.
 */
const SECRET_NAME_PARTS = [
  'secret',
  'password',
  'passwd',
  'passphrase',
  'apikey',
  'adminkey',
  'masterkey',
  'privatekey',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authtoken',
  'bottoken',
  'sessiontoken',
  'bearer',
  'authorization',
  'cookie',
  'keyhash',
  'sha256',
  'encrypted',
  'clientassertion',
] as const;

/** Whole names that are secrets on their own (`token` holds a bearer token; `*_enc` columns hold ciphertext). */
const SECRET_NAMES = new Set(['token', 'key_enc', 'value_enc']);

/**
 * Secret-looking values wherever they appear (bodies, paths, query strings, even free text). The
 * virtual-token pattern is handled separately: a bearer secret becomes the token's public id.
 */
const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  // Management API keys (`ak_live_{org8}_{32 hex}`; the display prefix `ak_live_{org8}_{4 hex}` is no secret).
  /ak_live_[A-Za-z0-9]{1,16}_[A-Za-z0-9]{8,}/g,
  // OpenAI / Anthropic style keys (`sk-…`, `sk-proj-…`, `sk-ant-…`), not inside a word.
  /(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{4,}/g,
  // Slack tokens.
  /(?<![A-Za-z0-9])(?:xox[abposr]|xapp)-[A-Za-z0-9-]{8,}/g,
  // AWS access key ids, Google API keys, GitHub tokens.
  /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g,
  /(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{30,}/g,
  /(?<![A-Za-z0-9])gh[pousr]_[A-Za-z0-9]{20,}/g,
  // JSON web tokens.
  /(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
];
/** `Bearer x` / `Basic x` credentials in free text keep their scheme. */
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;

/** Deeper structures than this are cut (a management body never nests this far). */
const MAX_DEPTH = 32;

export interface MaskOptions {
  /**
   * Exact secret strings to mask wherever they appear, e.g. the configured admin key (which has no
   * recognisable prefix). Strings shorter than 8 characters are ignored.
   */
  readonly literals?: readonly string[];
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Whether a field of this name holds a secret (unit-tested list: secret, api_key, password, client_secret, …). */
export function isSecretFieldName(name: string): boolean {
  if (SECRET_NAMES.has(name.toLowerCase())) return true;
  if (/_enc$/i.test(name)) return true;
  const normalized = normalizeName(name);
  return SECRET_NAME_PARTS.some((part) => normalized.includes(part));
}

/**
 * A string with every recognisable secret replaced: virtual-token bearer secrets by their public id
 * (`tok_…`, as everywhere else in the audit trail), other keys and credentials by `***`.
 */
export function maskSecretsInText(text: string, options: MaskOptions = {}): string {
  let out = redactVirtualTokens(text.includes('\u0000') ? text.split('\u0000').join('') : text);
  for (const literal of options.literals ?? []) {
    if (literal.length >= 8 && out.includes(literal)) out = out.split(literal).join(ADMIN_AUDIT_MASK);
  }
  for (const pattern of SECRET_VALUE_PATTERNS) out = out.replace(pattern, ADMIN_AUDIT_MASK);
  return out.replace(AUTH_SCHEME, `$1 ${ADMIN_AUDIT_MASK}`);
}

/**
 * A JSON-safe deep copy of `value` in which every secret is masked: values of secret-named fields
 * become `"***"` (null and booleans are kept: they say whether a secret is set, not what it is),
 * and every string, object key included, goes through {@link maskSecretsInText}. Dates become
 * RFC 3339 strings, `undefined` fields disappear (as in JSON).
 */
export function maskSecrets(value: unknown, options: MaskOptions = {}): unknown {
  let plain: unknown;
  try {
    plain = value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
  } catch {
    return null;
  }
  return maskValue(plain, options, 0);
}

function maskValue(value: unknown, options: MaskOptions, depth: number): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return maskSecretsInText(value, options);
  if (typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return ADMIN_AUDIT_MASK;
  if (Array.isArray(value)) return value.map((item) => maskValue(item, options, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const name = maskSecretsInText(key, options);
    if (isSecretFieldName(key) && field !== null && typeof field !== 'boolean') out[name] = ADMIN_AUDIT_MASK;
    else out[name] = maskValue(field, options, depth + 1);
  }
  return out;
}

/**
 * A request path (with its query string) as the trail records it: bearer secrets replaced by public
 * ids, other secrets masked, and the values of secret-named query parameters (`?key=`, `?api_key=`)
 * replaced by `***`.
 */
export function maskPath(url: string, options: MaskOptions = {}): string {
  const q = url.indexOf('?');
  const path = maskSecretsInText(q < 0 ? url : url.slice(0, q), options);
  if (q < 0) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return maskSecretsInText(pair, options);
      const name = pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        decoded = name;
      }
      if (isSecretFieldName(decoded) || decoded.toLowerCase() === 'key') return `${name}=${ADMIN_AUDIT_MASK}`;
      return `${name}=${maskSecretsInText(pair.slice(eq + 1), options)}`;
    })
    .join('&');
  return `${path}?${query}`;
}

/**
 * Caps the size of a stored snapshot: anything whose JSON is larger than `maxBytes` is replaced by
 * a marker saying so (management representations are small; a config import result need not be
 * kept whole).
 */
export function capSnapshot(value: unknown, maxBytes: number): unknown {
  if (value === null || value === undefined) return null;
  const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
  return bytes > maxBytes ? { _truncated: true, bytes } : value;
}
