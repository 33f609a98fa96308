import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '@ailink/gateway-core';
import { VIRTUAL_TOKEN_PREFIX } from '@ailink/shared-contracts';

/** `tok_` + 24 lowercase hex: the public id of a token (spec README, "Identifiers"). */
export const PUBLIC_TOKEN_ID = /^tok_[0-9a-f]{24}$/;

/** A freshly minted virtual token: the bearer secret (shown once) and what is stored of it. */
export interface MintedToken {
  secret: string;
  secretSha256: string;
  publicId: string;
  last4: string;
}

/** Lowercase hex SHA-256 of a bearer secret (the core helper, re-exported for this library's callers). */
export { sha256Hex };

/** The public id `tok_{first 24 hex of SHA-256(secret)}` from the secret's hash. */
export function publicIdFromHash(secretSha256: string): string {
  return 'tok_' + secretSha256.slice(0, 24);
}

/**
 * Mints `ailink_v1_{first 8 chars of project UUID}_tok_{32 lowercase hex}` from 128 bits of the
 * CSPRNG. Only `secretSha256` and `last4` are ever stored.
 */
export function mintToken(projectId: string, random: (size: number) => Buffer = randomBytes): MintedToken {
  const secret = `${VIRTUAL_TOKEN_PREFIX}${projectId.toLowerCase().slice(0, 8)}_tok_${random(16).toString('hex')}`;
  const secretSha256 = sha256Hex(secret);
  return { secret, secretSha256, publicId: publicIdFromHash(secretSha256), last4: secret.slice(-4) };
}

/** How logs and responses show a token: `ailink_v1_…{last 4}`. */
export function maskToken(last4: string): string {
  return `${VIRTUAL_TOKEN_PREFIX}…${last4}`;
}

/** A token id as given to the Management API: the public id, or the bearer secret (hashed on receipt). */
export type TokenRef = { publicId: string; secretSha256: string | null };

/**
 * Reads a `/tokens/{id}` path segment or a `token_id` value: `tok_…` is the public id; `ailink_v1_…`
 * is the bearer secret, hashed here (the hash is kept so that the row's full hash can be matched).
 * Anything else is null (answered 404 by callers).
 */
export function parseTokenRef(value: string): TokenRef | null {
  if (value.startsWith(VIRTUAL_TOKEN_PREFIX)) {
    const secretSha256 = sha256Hex(value);
    return { publicId: publicIdFromHash(secretSha256), secretSha256 };
  }
  const lower = value.toLowerCase();
  return PUBLIC_TOKEN_ID.test(lower) ? { publicId: lower, secretSha256: null } : null;
}

/** Constant-time equality of two lowercase hex SHA-256 digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
