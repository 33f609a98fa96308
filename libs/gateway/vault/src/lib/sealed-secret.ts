/** AES-256-GCM sizes used by the envelope scheme (vault-and-spend.md §1). */
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** A wrapped DEK: 32 bytes of ciphertext + the 16-byte tag. */
export const ENCRYPTED_DEK_BYTES = KEY_BYTES + TAG_BYTES;
/** `kek_id` = first 16 hex characters of SHA-256(KEK), i.e. 8 bytes. */
export const KEK_ID_HEX_LENGTH = 16;

/**
 * One secret under envelope encryption: the five stored columns of `credentials`
 * (`encrypted_dek, dek_nonce, encrypted_secret, secret_nonce, kek_id`). Ciphertexts carry their tag.
 */
export interface SealedSecret {
  encryptedDek: Buffer;
  dekNonce: Buffer;
  encryptedSecret: Buffer;
  secretNonce: Buffer;
  kekId: string;
}

/** The part of a {@link SealedSecret} a master-key re-wrap replaces. */
export interface WrappedDek {
  encryptedDek: Buffer;
  dekNonce: Buffer;
  kekId: string;
}

/**
 * The single-column sealed format of every other secret (data-model.md, "Encrypted values"):
 * `0x01 ‖ kek_id (8) ‖ dek_nonce (12) ‖ encrypted_dek (48) ‖ secret_nonce (12) ‖ encrypted_secret (n + 16)`.
 * Columns holding it end in `_enc`.
 */
export const COMPACT_VERSION = 0x01;
export const COMPACT_KEK_ID_OFFSET = 1;
export const COMPACT_DEK_NONCE_OFFSET = COMPACT_KEK_ID_OFFSET + KEK_ID_HEX_LENGTH / 2;
export const COMPACT_ENCRYPTED_DEK_OFFSET = COMPACT_DEK_NONCE_OFFSET + NONCE_BYTES;
export const COMPACT_SECRET_NONCE_OFFSET = COMPACT_ENCRYPTED_DEK_OFFSET + ENCRYPTED_DEK_BYTES;
export const COMPACT_SECRET_OFFSET = COMPACT_SECRET_NONCE_OFFSET + NONCE_BYTES;
/** Header plus the tag of an empty secret. */
export const COMPACT_MIN_BYTES = COMPACT_SECRET_OFFSET + TAG_BYTES;

/** Splits a compact blob into its parts (copies). Throws a plain Error when it is malformed. */
export function decodeCompact(blob: Buffer): SealedSecret {
  if (blob.length < COMPACT_MIN_BYTES) throw new Error(`sealed value is ${blob.length} bytes, shorter than ${COMPACT_MIN_BYTES}`);
  if (blob[0] !== COMPACT_VERSION) throw new Error(`unknown sealed format version ${blob[0]}`);
  return {
    kekId: blob.subarray(COMPACT_KEK_ID_OFFSET, COMPACT_DEK_NONCE_OFFSET).toString('hex'),
    dekNonce: Buffer.from(blob.subarray(COMPACT_DEK_NONCE_OFFSET, COMPACT_ENCRYPTED_DEK_OFFSET)),
    encryptedDek: Buffer.from(blob.subarray(COMPACT_ENCRYPTED_DEK_OFFSET, COMPACT_SECRET_NONCE_OFFSET)),
    secretNonce: Buffer.from(blob.subarray(COMPACT_SECRET_NONCE_OFFSET, COMPACT_SECRET_OFFSET)),
    encryptedSecret: Buffer.from(blob.subarray(COMPACT_SECRET_OFFSET)),
  };
}

/** Joins the parts of a sealed secret into the compact format. */
export function encodeCompact(sealed: SealedSecret): Buffer {
  if (!/^[0-9a-f]{16}$/.test(sealed.kekId)) throw new Error('kek_id must be 16 lowercase hex characters');
  if (sealed.dekNonce.length !== NONCE_BYTES || sealed.secretNonce.length !== NONCE_BYTES) throw new Error('nonces must be 12 bytes');
  if (sealed.encryptedDek.length !== ENCRYPTED_DEK_BYTES) throw new Error('encrypted DEK must be 48 bytes');
  return Buffer.concat([
    Buffer.from([COMPACT_VERSION]),
    Buffer.from(sealed.kekId, 'hex'),
    sealed.dekNonce,
    sealed.encryptedDek,
    sealed.secretNonce,
    sealed.encryptedSecret,
  ]);
}

/** The `kek_id` inside a compact blob, or null when it is not one. */
export function compactKekId(blob: Buffer): string | null {
  if (blob.length < COMPACT_MIN_BYTES || blob[0] !== COMPACT_VERSION) return null;
  return blob.subarray(COMPACT_KEK_ID_OFFSET, COMPACT_DEK_NONCE_OFFSET).toString('hex');
}
