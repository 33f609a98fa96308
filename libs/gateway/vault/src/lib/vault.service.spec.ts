import { createHash, randomBytes } from 'node:crypto';
import pino from 'pino';
import { Writable } from 'node:stream';
import { AppConfig, ErrorCode, GatewayError } from '@ailink/gateway-core';
import { kekIdOf } from './key-ring';
import { COMPACT_MIN_BYTES, compactKekId, decodeCompact, encodeCompact, type SealedSecret } from './sealed-secret';
import { SecretDecryptError } from './vault.errors';
import { VaultService } from './vault.service';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const SECRET = Buffer.from('sk-live-0123456789abcdefghijklmnopqrstuvwxyz');

/** Captures log lines, to prove failures are logged without secret material. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

function vault(current: Buffer, previous?: Buffer, logger = pino({ level: 'silent' })): VaultService {
  const config = { masterKey: current, masterKeyPrevious: previous } as unknown as AppConfig;
  return new VaultService(config, logger);
}

function copy(sealed: SealedSecret): SealedSecret {
  return {
    encryptedDek: Buffer.from(sealed.encryptedDek),
    dekNonce: Buffer.from(sealed.dekNonce),
    encryptedSecret: Buffer.from(sealed.encryptedSecret),
    secretNonce: Buffer.from(sealed.secretNonce),
    kekId: sealed.kekId,
  };
}

function expectDecryptError(fn: () => unknown, reason?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SecretDecryptError);
  expect(thrown).toBeInstanceOf(GatewayError);
  expect((thrown as GatewayError).code).toBe(ErrorCode.InternalServerError);
  expect((thrown as GatewayError).message).toBe('Secret could not be decrypted');
  if (reason) expect((thrown as SecretDecryptError).reason).toBe(reason);
}

describe('kekIdOf', () => {
  it('is the first 16 hex characters of SHA-256(KEK)', () => {
    expect(kekIdOf(KEY_A)).toBe(createHash('sha256').update(KEY_A).digest('hex').slice(0, 16));
    expect(kekIdOf(KEY_A)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => kekIdOf(Buffer.alloc(16))).toThrow(RangeError);
  });
});

describe('VaultService', () => {
  it('round-trips a secret and tags it with the current kek_id', () => {
    const v = vault(KEY_A);
    const sealed = v.seal(SECRET);
    expect(sealed.kekId).toBe(kekIdOf(KEY_A));
    expect(sealed.dekNonce).toHaveLength(12);
    expect(sealed.secretNonce).toHaveLength(12);
    expect(sealed.encryptedDek).toHaveLength(48);
    expect(sealed.encryptedSecret).toHaveLength(SECRET.length + 16);
    expect(sealed.encryptedSecret.includes(SECRET)).toBe(false);
    const opened = v.open(sealed);
    expect(opened.equals(SECRET)).toBe(true);
  });

  it('round-trips an empty and a large secret', () => {
    const v = vault(KEY_A);
    expect(v.open(v.seal(Buffer.alloc(0)))).toHaveLength(0);
    const big = randomBytes(64 * 1024);
    expect(v.open(v.seal(big)).equals(big)).toBe(true);
  });

  it('does not modify the plaintext it seals', () => {
    const plaintext = Buffer.from(SECRET);
    vault(KEY_A).seal(plaintext);
    expect(plaintext.equals(SECRET)).toBe(true);
  });

  it('uses a fresh DEK and fresh nonces for every secret', () => {
    const v = vault(KEY_A);
    const seen = { dek: new Set<string>(), dekNonce: new Set<string>(), secretNonce: new Set<string>(), secret: new Set<string>() };
    for (let i = 0; i < 50; i++) {
      const sealed = v.seal(SECRET);
      seen.dek.add(sealed.encryptedDek.toString('hex'));
      seen.dekNonce.add(sealed.dekNonce.toString('hex'));
      seen.secretNonce.add(sealed.secretNonce.toString('hex'));
      seen.secret.add(sealed.encryptedSecret.toString('hex'));
      expect(sealed.dekNonce.equals(sealed.secretNonce)).toBe(false);
    }
    expect(seen.dek.size).toBe(50);
    expect(seen.dekNonce.size).toBe(50);
    expect(seen.secretNonce.size).toBe(50);
    expect(seen.secret.size).toBe(50);
  });

  describe('tampering', () => {
    const v = vault(KEY_A);
    const sealed = v.seal(SECRET);
    const parts = ['encryptedDek', 'dekNonce', 'encryptedSecret', 'secretNonce'] as const;

    it.each(parts)('fails when any byte of %s changes', (part) => {
      for (let i = 0; i < sealed[part].length; i++) {
        const tampered = copy(sealed);
        tampered[part][i] ^= 0x01;
        expectDecryptError(() => v.open(tampered));
      }
    });

    it.each(parts)('fails when %s is truncated or extended', (part) => {
      const shorter = copy(sealed);
      shorter[part] = shorter[part].subarray(0, shorter[part].length - 1);
      expectDecryptError(() => v.open(shorter));
      const longer = copy(sealed);
      longer[part] = Buffer.concat([longer[part], Buffer.from([0])]);
      expectDecryptError(() => v.open(longer));
    });

    it('fails when ciphertext parts of two secrets are mixed', () => {
      const other = v.seal(SECRET);
      expectDecryptError(() => v.open({ ...copy(sealed), encryptedSecret: other.encryptedSecret, secretNonce: other.secretNonce }));
      expectDecryptError(() => v.open({ ...copy(sealed), encryptedDek: other.encryptedDek }));
    });
  });

  it('fails on an unknown kek_id, and on the wrong key under a known id', () => {
    const a = vault(KEY_A);
    const sealed = a.seal(SECRET);
    expectDecryptError(() => vault(KEY_B).open(sealed), 'unknown_kek_id');
    expectDecryptError(() => a.open({ ...copy(sealed), kekId: '0123456789abcdef' }), 'unknown_kek_id');
    // A value claiming key B's id but wrapped with key A: the tag check catches it.
    const both = vault(KEY_B, KEY_A);
    expectDecryptError(() => both.open({ ...copy(sealed), kekId: kekIdOf(KEY_B) }), 'authentication_failed');
  });

  it('logs decrypt failures without secret material', () => {
    const { lines, logger } = capture();
    const v = vault(KEY_A, undefined, logger);
    const sealed = v.seal(SECRET);
    const tampered = copy(sealed);
    tampered.encryptedSecret[0] ^= 0xff;
    expectDecryptError(() => v.open(tampered), 'authentication_failed');
    expect(lines).toHaveLength(1);
    const line = lines[0];
    expect(line).toContain('Secret could not be decrypted');
    expect(line).toContain(sealed.kekId);
    for (const material of [
      SECRET.toString(),
      KEY_A.toString('hex'),
      sealed.encryptedDek.toString('hex'),
      sealed.encryptedSecret.toString('base64'),
    ]) {
      expect(line).not.toContain(material);
    }
  });

  describe('during a master-key rollover', () => {
    it('opens values of both keys and seals with the active key', () => {
      const old = vault(KEY_A);
      const sealedOld = old.seal(SECRET);
      const both = vault(KEY_B, KEY_A);
      expect(both.loadedKekIds).toEqual([kekIdOf(KEY_B), kekIdOf(KEY_A)]);
      expect(both.open(sealedOld).equals(SECRET)).toBe(true);
      expect(both.seal(SECRET).kekId).toBe(kekIdOf(KEY_B));
      expect(both.useActiveKek(kekIdOf(KEY_A))).toBe(true);
      expect(both.seal(SECRET).kekId).toBe(kekIdOf(KEY_A));
      expect(both.useActiveKek('ffffffffffffffff')).toBe(false);
      expect(both.sealingKekId).toBe(kekIdOf(KEY_B));
    });

    it('re-wraps a DEK under the current key without touching the secret ciphertext', () => {
      const both = vault(KEY_B, KEY_A);
      both.useActiveKek(kekIdOf(KEY_A));
      const sealed = both.seal(SECRET);
      const wrapped = both.rewrap(sealed, kekIdOf(KEY_B));
      expect(wrapped.kekId).toBe(kekIdOf(KEY_B));
      expect(wrapped.dekNonce.equals(sealed.dekNonce)).toBe(false);
      const moved = { ...sealed, ...wrapped };
      expect(vault(KEY_B).open(moved).equals(SECRET)).toBe(true);
      expectDecryptError(() => vault(KEY_A).open(moved), 'unknown_kek_id');
    });

    it('refuses to re-wrap to a key it does not hold', () => {
      const v = vault(KEY_A);
      expectDecryptError(() => v.rewrap(v.seal(SECRET), 'ffffffffffffffff'), 'unknown_kek_id');
    });
  });

  it('reseal (DEK refresh) keeps the secret under a new DEK', () => {
    const v = vault(KEY_A);
    const sealed = v.seal(SECRET);
    const fresh = v.reseal(sealed);
    expect(fresh.encryptedDek.equals(sealed.encryptedDek)).toBe(false);
    expect(fresh.encryptedSecret.equals(sealed.encryptedSecret)).toBe(false);
    expect(v.open(fresh).equals(SECRET)).toBe(true);
  });

  describe('compact format', () => {
    it('lays out 0x01 ‖ kek_id ‖ dek_nonce ‖ encrypted_dek ‖ secret_nonce ‖ encrypted_secret', () => {
      const v = vault(KEY_A);
      const blob = v.sealCompact(SECRET);
      expect(blob).toHaveLength(1 + 8 + 12 + 48 + 12 + SECRET.length + 16);
      expect(blob[0]).toBe(0x01);
      expect(blob.subarray(1, 9).toString('hex')).toBe(kekIdOf(KEY_A));
      expect(compactKekId(blob)).toBe(kekIdOf(KEY_A));
      const parts = decodeCompact(blob);
      expect(parts.dekNonce).toHaveLength(12);
      expect(parts.encryptedDek).toHaveLength(48);
      expect(parts.secretNonce).toHaveLength(12);
      expect(encodeCompact(parts).equals(blob)).toBe(true);
      expect(v.openCompact(blob).equals(SECRET)).toBe(true);
      expect(v.open(parts).equals(SECRET)).toBe(true);
    });

    it('fails when any byte changes, or the value is short or of another version', () => {
      const v = vault(KEY_A);
      const blob = v.sealCompact(SECRET);
      for (let i = 0; i < blob.length; i++) {
        const tampered = Buffer.from(blob);
        tampered[i] ^= 0x01;
        expectDecryptError(() => v.openCompact(tampered));
      }
      expectDecryptError(() => v.openCompact(blob.subarray(0, COMPACT_MIN_BYTES - 1)), 'malformed');
      expectDecryptError(() => v.openCompact(Buffer.alloc(0)), 'malformed');
      expect(compactKekId(Buffer.alloc(4))).toBeNull();
    });

    it('re-wraps in place, keeping the secret ciphertext', () => {
      const both = vault(KEY_B, KEY_A);
      const blob = vault(KEY_A).sealCompact(SECRET);
      const moved = both.rewrapCompact(blob, kekIdOf(KEY_B));
      expect(compactKekId(moved)).toBe(kekIdOf(KEY_B));
      expect(moved.subarray(69).equals(blob.subarray(69))).toBe(true);
      expect(vault(KEY_B).openCompact(moved).equals(SECRET)).toBe(true);
    });

    it('fails on an unknown kek_id', () => {
      expectDecryptError(() => vault(KEY_B).openCompact(vault(KEY_A).sealCompact(SECRET)), 'unknown_kek_id');
    });
  });
});
