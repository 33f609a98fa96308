import { randomBytes } from 'node:crypto';
import { PUBLIC_TOKEN_ID, parseTokenRef, publicIdFromHash, sameDigest, sha256Hex, type TokenRef } from '@ailink/gateway-core';
import { VIRTUAL_TOKEN_PREFIX } from '@ailink/shared-contracts';

/** A freshly minted virtual token: the bearer secret (shown once) and what is stored of it. */
export interface MintedToken {
  secret: string;
  secretSha256: string;
  publicId: string;
  last4: string;
}

/** Token-id helpers live in the core library (the spend feature reads token ids too); re-exported here. */
export { PUBLIC_TOKEN_ID, parseTokenRef, publicIdFromHash, sameDigest, sha256Hex };
export type { TokenRef };

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
