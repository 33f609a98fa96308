import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_PATTERN, API_KEY_PREFIX } from '@ailink/shared-contracts';

/** A freshly minted key: the plaintext (shown once) and what is stored of it. */
export interface MintedApiKey {
  key: string;
  keyHash: string;
  keyPrefix: string;
}

/** Lowercase hex SHA-256 of a presented key: the `key_hash` lookup. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Mints `ak_live_{first 8 chars of org UUID}_{32 lowercase hex}` from 128 bits of the CSPRNG (spec
 * README, "Identifiers"). Only the hash and the display prefix `ak_live_{org8}_{first 4 hex}` are kept.
 */
export function mintApiKey(orgId: string, random: (size: number) => Buffer = randomBytes): MintedApiKey {
  const key = `${API_KEY_PREFIX}${orgId.toLowerCase().slice(0, 8)}_${random(16).toString('hex')}`;
  return { key, keyHash: apiKeyHash(key), keyPrefix: key.slice(0, API_KEY_PREFIX.length + 8 + 1 + 4) };
}

/** Whether a bearer value is shaped like an API key (anything else `ak_live_…` is simply unknown). */
export function looksLikeApiKey(value: string): boolean {
  return API_KEY_PATTERN.test(value);
}
