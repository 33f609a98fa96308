import { publicTokenId } from '@ailink/gateway-core';
import { maskToken, mintToken, parseTokenRef, publicIdFromHash, sameDigest, sha256Hex } from './token-secret';

const PROJECT = '3f2a9c1e-1111-4222-8333-444455556666';
const SECRET_FORMAT = /^ailink_v1_3f2a9c1e_tok_[0-9a-f]{32}$/;

describe('mintToken', () => {
  it('mints ailink_v1_{first 8 of the project UUID}_tok_{32 lowercase hex}', () => {
    const minted = mintToken(PROJECT);
    expect(minted.secret).toMatch(SECRET_FORMAT);
    expect(mintToken('00000000-0000-0000-0000-000000000001').secret).toMatch(/^ailink_v1_00000000_tok_[0-9a-f]{32}$/);
    expect(mintToken(PROJECT.toUpperCase()).secret).toMatch(SECRET_FORMAT);
  });

  it('stores only the SHA-256, the public id tok_{first 24 hex} and the last 4 characters', () => {
    const minted = mintToken(PROJECT);
    expect(minted.secretSha256).toBe(sha256Hex(minted.secret));
    expect(minted.secretSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(minted.publicId).toBe(`tok_${minted.secretSha256.slice(0, 24)}`);
    expect(minted.publicId).toBe(publicTokenId(minted.secret));
    expect(minted.publicId).toHaveLength(28);
    expect(minted.last4).toBe(minted.secret.slice(-4));
    expect(JSON.stringify({ ...minted, secret: undefined })).not.toContain(minted.secret.slice(-32));
  });

  it('draws 128 bits from the CSPRNG for every token', () => {
    const sizes: number[] = [];
    const minted = mintToken(PROJECT, (size) => {
      sizes.push(size);
      return Buffer.alloc(size, 0xab);
    });
    expect(sizes).toEqual([16]);
    expect(minted.secret).toBe(`ailink_v1_3f2a9c1e_tok_${'ab'.repeat(16)}`);
  });

  it('never repeats and spreads the hex digits uniformly (entropy smoke test)', () => {
    const secrets = new Set<string>();
    const counts = new Map<string, number>();
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const { secret } = mintToken(PROJECT);
      secrets.add(secret);
      for (const ch of secret.slice(-32)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(secrets.size).toBe(n);
    expect(counts.size).toBe(16);
    const expected = (n * 32) / 16;
    // chi-square with 15 degrees of freedom; p = 0.001 critical value is 37.7
    const chi = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(37.7);
  });
});

describe('maskToken / parseTokenRef / sameDigest', () => {
  it('masks as ailink_v1_…{last 4}', () => {
    expect(maskToken('9f3c')).toBe('ailink_v1_…9f3c');
  });

  it('accepts the public id (any case) or the bearer secret, nothing else', () => {
    const minted = mintToken(PROJECT);
    expect(parseTokenRef(minted.publicId)).toEqual({ publicId: minted.publicId, secretSha256: null });
    expect(parseTokenRef(minted.publicId.toUpperCase().replace('TOK_', 'tok_'))).toEqual({ publicId: minted.publicId, secretSha256: null });
    expect(parseTokenRef(minted.secret)).toEqual({ publicId: minted.publicId, secretSha256: minted.secretSha256 });
    for (const bad of ['', 'tok_123', 'tok_' + 'g'.repeat(24), '00000000-0000-0000-0000-000000000001', 'ak_live_x']) {
      expect(parseTokenRef(bad)).toBeNull();
    }
  });

  it('compares digests in constant time and refuses malformed ones', () => {
    const h = sha256Hex('a');
    expect(sameDigest(h, h)).toBe(true);
    expect(sameDigest(h, sha256Hex('b'))).toBe(false);
    expect(sameDigest(h, h.slice(0, 62))).toBe(false);
    expect(sameDigest('zz'.repeat(32), 'zz'.repeat(32))).toBe(false);
    expect(publicIdFromHash(h)).toBe('tok_' + h.slice(0, 24));
  });
});
