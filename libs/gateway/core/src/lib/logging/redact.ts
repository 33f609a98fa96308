import { sha256Hex } from '../util/digest';
import { publicIdFromHash } from '../util/token-ref';

const VIRTUAL_TOKEN = /ailink_v1_[A-Za-z0-9_]+/g;

/** A virtual token's public id: `tok_` + the first 24 hex chars of SHA-256(secret) (spec: Identifiers). */
export function publicTokenId(secret: string): string {
  return publicIdFromHash(sha256Hex(secret));
}

/** Replaces every virtual-token secret in a path, query string or message by its public id. */
export function redactVirtualTokens(text: string): string {
  return text.includes('ailink_v1_') ? text.replace(VIRTUAL_TOKEN, publicTokenId) : text;
}
