import { timingSafeEqual } from 'node:crypto';
import { VIRTUAL_TOKEN_PREFIX } from '@ailink/shared-contracts';
import { sha256Hex } from './digest';

/** `tok_` + 24 lowercase hex: the public id of a token (spec README, "Identifiers"). */
export const PUBLIC_TOKEN_ID = /^tok_[0-9a-f]{24}$/;

/** A token id as given to the Management API: the public id, or the bearer secret (hashed on receipt). */
export interface TokenRef {
  publicId: string;
  /** Set when the bearer secret was given: the row's full hash must match it. */
  secretSha256: string | null;
}

/** The public id `tok_{first 24 hex of SHA-256(secret)}` from the secret's hash. */
export function publicIdFromHash(secretSha256: string): string {
  return 'tok_' + secretSha256.slice(0, 24);
}

/**
 * Reads a `/tokens/{id}` path segment or a `token_id` value: `tok_…` is the public id; `ailink_v1_…`
 * is the bearer secret, hashed here (the hash is kept so that the row's full hash can be matched).
 * Anything else is null (answered 404 by callers). Shared by every library that takes token ids.
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
