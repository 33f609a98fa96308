/** The header that carries the admin key on Management API calls (spec README, "Naming"). */
export const ADMIN_KEY_HEADER = 'X-Admin-Key';

/** Management API keys start with this (identity.md §3); they travel as `Authorization: Bearer`. */
export const API_KEY_PREFIX = 'ak_live_';

/**
 * The header a signed-in key travels in: an API key (`ak_live_…`) as `Authorization: Bearer`, the
 * admin key as `X-Admin-Key` (identity.md §1).
 */
export function credentialHeaders(key: string): Record<string, string> {
  return key.startsWith(API_KEY_PREFIX) ? { Authorization: `Bearer ${key}` } : { [ADMIN_KEY_HEADER]: key };
}
