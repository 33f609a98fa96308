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

export { defaultInjectionFor, type DefaultInjection } from '@ailink/shared-contracts';

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
