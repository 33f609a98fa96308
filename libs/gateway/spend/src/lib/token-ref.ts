import { timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '@ailink/gateway-core';
import { VIRTUAL_TOKEN_PREFIX } from '@ailink/shared-contracts';

/**
 * A token id as given to the Management API (spec README, "Identifiers"): the public id `tok_…`, or
 * the bearer secret, hashed on receipt. The same rules as the tokens library's `parseTokenRef`; a
 * feature library cannot import another, so the few lines live here too.
 */
export interface TokenRef {
  publicId: string;
  /** Set when the bearer secret was given: the row's full hash must match it. */
  secretSha256: string | null;
}

const PUBLIC_TOKEN_ID = /^tok_[0-9a-f]{24}$/;

export function parseTokenRef(value: string): TokenRef | null {
  if (value.startsWith(VIRTUAL_TOKEN_PREFIX)) {
    const secretSha256 = sha256Hex(value);
    return { publicId: 'tok_' + secretSha256.slice(0, 24), secretSha256 };
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
