import type { AuthMethod } from '@ailink/shared-contracts';

const LABELS: Record<AuthMethod, string> = {
  admin_key: 'Admin key',
  api_key: 'API key',
  oidc: 'OIDC bearer token',
  session: 'SSO session',
};

export function authMethodLabel(method: AuthMethod): string {
  return LABELS[method] ?? method;
}
