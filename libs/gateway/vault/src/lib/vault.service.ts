import { Inject, Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { KeyRing } from './key-ring';
import {
  decodeCompact,
  encodeCompact,
  ENCRYPTED_DEK_BYTES,
  KEY_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  type SealedSecret,
  type WrappedDek,
} from './sealed-secret';
import { SecretDecryptError, type DecryptFailureReason } from './vault.errors';

const ALGORITHM = 'aes-256-gcm';

/**
 * Envelope encryption (vault-and-spend.md §1). Every secret gets a fresh random 32-byte DEK;
 * `encrypted_secret = AES-256-GCM(DEK, nonce, plaintext)`, `encrypted_dek = AES-256-GCM(KEK, other
 * nonce, DEK)`, no AAD, the 16-byte tag appended to each ciphertext. Plaintext DEKs are zeroed as
 * soon as they have been used; opened secrets are handed back as Buffers the caller zeroes.
 *
 * Opening picks the KEK by the value's `kek_id`, so the current and the previous key both work
 * during a master-key rollover. Sealing uses the *active* KEK (`active_kek_id` in `system_state`),
 * which the master-key rotation switches once every live instance holds both keys (§8.3); it falls
 * back to the current key when the active one is not loaded here.
 */
@Injectable()
export class VaultService {
  private readonly ring: KeyRing;
  private activeKekId: string;

  constructor(
    config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.ring = new KeyRing(config.masterKey, config.masterKeyPrevious);
    this.activeKekId = this.ring.currentKekId;
  }

  /** `kek_id` of `AILINK_MASTER_KEY`. */
  get currentKekId(): string {
    return this.ring.currentKekId;
  }

  /** `kek_id` of `AILINK_MASTER_KEY_PREVIOUS`, or null. */
  get previousKekId(): string | null {
    return this.ring.previousKekId;
  }

  /** Every `kek_id` this instance can open (reported by the heartbeat). */
  get loadedKekIds(): string[] {
    return this.ring.ids;
  }

  /** The `kek_id` new secrets are wrapped with. */
  get sealingKekId(): string {
    return this.activeKekId;
  }

  hasKek(kekId: string): boolean {
    return this.ring.has(kekId);
  }

  /**
   * Adopts `active_kek_id` from PostgreSQL. A key this instance does not hold is ignored (sealing
   * then uses the current key); returns whether it was adopted.
   */
  useActiveKek(kekId: string): boolean {
    if (!this.ring.has(kekId)) {
      this.activeKekId = this.ring.currentKekId;
      return false;
    }
    this.activeKekId = kekId;
    return true;
  }

  /** Seals a secret under a fresh DEK and the active KEK. Does not modify or keep `plaintext`. */
  seal(plaintext: Buffer): SealedSecret {
    const dek = randomBytes(KEY_BYTES);
    try {
      const secretNonce = randomBytes(NONCE_BYTES);
      const encryptedSecret = encrypt(dek, secretNonce, plaintext);
      return { ...this.wrap(dek, this.activeKekId), encryptedSecret, secretNonce };
    } finally {
      dek.fill(0);
    }
  }

  /**
   * Opens a sealed secret. The caller owns the returned Buffer and must `fill(0)` it after use.
   * Throws {@link SecretDecryptError} (500, no secret material) on an unknown `kek_id` or any failure.
   */
  open(sealed: SealedSecret): Buffer {
    const dek = this.unwrap(sealed);
    try {
      if (sealed.secretNonce.length !== NONCE_BYTES || sealed.encryptedSecret.length < TAG_BYTES) {
        throw this.failure('malformed', sealed.kekId);
      }
      return decrypt(dek, sealed.secretNonce, sealed.encryptedSecret, () => this.failure('authentication_failed', sealed.kekId));
    } finally {
      dek.fill(0);
    }
  }

  /**
   * Master-key re-wrap: the same DEK (hence the same `encrypted_secret`) wrapped under another KEK
   * with a new nonce. Default target: the active KEK.
   */
  rewrap(wrapped: WrappedDek, toKekId: string = this.activeKekId): WrappedDek {
    if (!this.ring.has(toKekId)) throw this.failure('unknown_kek_id', toKekId);
    const dek = this.unwrap(wrapped);
    try {
      return this.wrap(dek, toKekId);
    } finally {
      dek.fill(0);
    }
  }

  /** DEK refresh: the same secret sealed again under a new DEK and the active KEK. */
  reseal(sealed: SealedSecret): SealedSecret {
    const plaintext = this.open(sealed);
    try {
      return this.seal(plaintext);
    } finally {
      plaintext.fill(0);
    }
  }

  /** Seals into the single-column `_enc` format. */
  sealCompact(plaintext: Buffer): Buffer {
    return encodeCompact(this.seal(plaintext));
  }

  /** Opens an `_enc` value; the caller zeroes the result. */
  openCompact(blob: Buffer): Buffer {
    return this.open(this.decodeCompactOrFail(blob));
  }

  /** Re-wraps the DEK inside an `_enc` value (the secret ciphertext is kept). */
  rewrapCompact(blob: Buffer, toKekId: string = this.activeKekId): Buffer {
    const sealed = this.decodeCompactOrFail(blob);
    return encodeCompact({ ...sealed, ...this.rewrap(sealed, toKekId) });
  }

  private decodeCompactOrFail(blob: Buffer): SealedSecret {
    try {
      return decodeCompact(blob);
    } catch {
      throw this.failure('malformed', null);
    }
  }

  private wrap(dek: Buffer, kekId: string): WrappedDek {
    const kek = this.ring.get(kekId);
    if (!kek) throw this.failure('unknown_kek_id', kekId);
    const dekNonce = randomBytes(NONCE_BYTES);
    return { encryptedDek: encrypt(kek, dekNonce, dek), dekNonce, kekId };
  }

  /** The plaintext DEK; the caller zeroes it. */
  private unwrap(wrapped: WrappedDek): Buffer {
    const kek = this.ring.get(wrapped.kekId);
    if (!kek) throw this.failure('unknown_kek_id', wrapped.kekId);
    if (wrapped.dekNonce.length !== NONCE_BYTES || wrapped.encryptedDek.length !== ENCRYPTED_DEK_BYTES) {
      throw this.failure('malformed', wrapped.kekId);
    }
    return decrypt(kek, wrapped.dekNonce, wrapped.encryptedDek, () => this.failure('authentication_failed', wrapped.kekId));
  }

  private failure(reason: DecryptFailureReason, kekId: string | null): SecretDecryptError {
    // Only identifiers and the reason: never key, DEK, nonce or ciphertext bytes.
    this.logger.error({ kek_id: kekId, reason }, 'Secret could not be decrypted');
    return new SecretDecryptError(reason, kekId);
  }
}

/** AES-256-GCM; returns ciphertext ‖ tag. */
function encrypt(key: Buffer, nonce: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([head, tail, cipher.getAuthTag()]);
}

/** Opens ciphertext ‖ tag; intermediate plaintext buffers are zeroed. */
function decrypt(key: Buffer, nonce: Buffer, sealed: Buffer, fail: () => Error): Buffer {
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv(ALGORITHM, key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  const head = decipher.update(body);
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    head.fill(0);
    throw fail();
  }
  if (tail.length === 0) return head;
  const out = Buffer.concat([head, tail]);
  head.fill(0);
  tail.fill(0);
  return out;
}
