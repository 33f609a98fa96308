import type { CredentialInjectionMode } from '@ailink/shared-contracts';

/** Providers offered in the provider field (any other name may be typed). */
export const COMMON_CREDENTIAL_PROVIDERS: readonly string[] = [
  'openai',
  'anthropic',
  'google',
  'azure_openai',
  'bedrock',
  'groq',
  'mistral',
  'together',
  'cohere',
  'ollama',
];

export interface DefaultInjection {
  readonly mode: CredentialInjectionMode;
  /** Null for `sigv4`, which signs the request instead of carrying the secret in a header. */
  readonly header: string | null;
}

/** The injection the gateway uses when `injection_mode` is omitted, by provider (vault-and-spend.md §2). */
export function defaultInjectionFor(provider: string): DefaultInjection {
  switch (provider.trim().toLowerCase()) {
    case 'anthropic':
      return { mode: 'header', header: 'x-api-key' };
    case 'gemini':
    case 'google':
      return { mode: 'header', header: 'x-goog-api-key' };
    case 'azure':
    case 'azure_openai':
      return { mode: 'header', header: 'api-key' };
    case 'bedrock':
    case 'aws':
      return { mode: 'sigv4', header: null };
    default:
      return { mode: 'bearer', header: 'Authorization' };
  }
}

/** The header (query parameter for `query`) a chosen mode uses when `injection_header` is left empty. */
export function defaultInjectionHeaderFor(mode: CredentialInjectionMode): string | null {
  switch (mode) {
    case 'query':
      return 'key';
    case 'sigv4':
      return null;
    default:
      return 'Authorization';
  }
}

export const INJECTION_MODE_LABELS: Record<CredentialInjectionMode, string> = {
  bearer: 'Bearer (Authorization: Bearer <secret>)',
  basic: 'Basic (Authorization: Basic base64(user:password))',
  header: 'Header (<header>: <secret>)',
  query: 'Query parameter (?<name>=<secret>)',
  sigv4: 'AWS Signature V4',
};
