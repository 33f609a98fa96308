import { INJECTION_MODES, defaultInjectionFor, type CredentialInjectionMode } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';

/** Injection mode and header/parameter name of a credential. `header` is null for `sigv4`. */
export interface InjectionSettings {
  mode: CredentialInjectionMode;
  header: string | null;
}

/** RFC 9110 token characters: what a header (or our query parameter) name may consist of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const MAX_HEADER_NAME_LENGTH = 128;

/** Headers a credential must never be written into: framing, routing and hop-by-hop headers. */
const FORBIDDEN_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'cookie',
  'x-request-id',
  'x-admin-key',
]);

/** Default injection by provider (vault-and-spend.md §2); the rule lives in the shared contracts. */
export function defaultInjection(provider: string): InjectionSettings {
  return defaultInjectionFor(provider);
}

/** The default header of a mode (`query`: the parameter `key`), preferring the provider's own when its default mode is the same. */
export function defaultHeaderFor(mode: CredentialInjectionMode, provider: string): string | null {
  if (mode === 'sigv4') return null;
  const byProvider = defaultInjection(provider);
  if (byProvider.mode === mode && byProvider.header) return byProvider.header;
  return mode === 'query' ? 'key' : 'Authorization';
}

export function isInjectionMode(value: unknown): value is CredentialInjectionMode {
  return typeof value === 'string' && (INJECTION_MODES as readonly string[]).includes(value);
}

/** 400 unless `value` is a known mode. */
export function parseInjectionMode(value: unknown): CredentialInjectionMode {
  if (isInjectionMode(value)) return value;
  throw new GatewayError(ErrorCode.BadRequest, `injection_mode must be one of ${INJECTION_MODES.join(', ')}`);
}

/** 400 unless `value` is a usable header (or query parameter) name for `mode`. Returns it trimmed. */
export function parseInjectionHeader(value: unknown, mode: CredentialInjectionMode): string {
  if (typeof value !== 'string') throw new GatewayError(ErrorCode.BadRequest, 'injection_header must be a string');
  const name = value.trim();
  if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH || !TOKEN.test(name)) {
    throw new GatewayError(
      ErrorCode.BadRequest,
      `injection_header must be a valid ${mode === 'query' ? 'query parameter' : 'header'} name (1–${MAX_HEADER_NAME_LENGTH} letters, digits or !#$%&'*+.^_\`|~-)`,
    );
  }
  if (mode !== 'query' && FORBIDDEN_HEADERS.has(name.toLowerCase())) {
    throw new GatewayError(ErrorCode.BadRequest, `injection_header cannot be ${name}`);
  }
  return name;
}

/**
 * Resolves the stored settings from a request: the mode (given, else the provider default) and the
 * header (given, else the default for that mode). 400 for an invalid mode or header.
 */
export function resolveInjection(provider: string, mode: unknown, header: unknown): InjectionSettings {
  const resolvedMode = mode === undefined || mode === null ? defaultInjection(provider).mode : parseInjectionMode(mode);
  if (resolvedMode === 'sigv4') return { mode: 'sigv4', header: null };
  const resolvedHeader =
    header === undefined || header === null ? defaultHeaderFor(resolvedMode, provider) : parseInjectionHeader(header, resolvedMode);
  return { mode: resolvedMode, header: resolvedHeader };
}
