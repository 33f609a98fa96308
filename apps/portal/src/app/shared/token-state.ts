import type { Token } from '@ailink/shared-contracts';

export type TokenState = 'active' | 'expired' | 'suspended' | 'revoked';

/** How a token stands now: revoked (inactive) wins, then suspended, then expired. */
export function tokenState(token: Pick<Token, 'is_active' | 'suspended_at' | 'expires_at'>, now = Date.now()): TokenState {
  if (!token.is_active) return 'revoked';
  if (token.suspended_at) return 'suspended';
  if (token.expires_at && new Date(token.expires_at).getTime() <= now) return 'expired';
  return 'active';
}

export const TOKEN_STATE_LABELS: Record<TokenState, string> = {
  active: 'Active',
  expired: 'Expired',
  suspended: 'Suspended',
  revoked: 'Revoked',
};
