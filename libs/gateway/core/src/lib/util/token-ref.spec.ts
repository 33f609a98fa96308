import { parseTokenRef, publicIdFromHash, sameDigest } from './token-ref';
import { sha256Hex } from './digest';

describe('token references', () => {
  const secret = 'ailink_v1_00000000_tok_' + 'ab'.repeat(16);
  const hash = sha256Hex(secret);

  it('reads a public id (any case) or a bearer secret (hashed on receipt)', () => {
    const publicId = publicIdFromHash(hash);
    expect(publicId).toMatch(/^tok_[0-9a-f]{24}$/);
    expect(parseTokenRef(publicId)).toEqual({ publicId, secretSha256: null });
    expect(parseTokenRef(publicId.toUpperCase().replace('TOK_', 'tok_'))).toEqual({ publicId, secretSha256: null });
    expect(parseTokenRef(secret)).toEqual({ publicId, secretSha256: hash });
  });

  it.each(['', 'tok_', 'tok_123', 'tok_' + 'g'.repeat(24), 'sk-live', 'ailink_admin_x'])('refuses %j', (value) => {
    expect(parseTokenRef(value)).toBeNull();
  });

  it('compares digests in constant time, refusing anything but 32-byte hex', () => {
    expect(sameDigest(hash, hash)).toBe(true);
    expect(sameDigest(hash, sha256Hex('other'))).toBe(false);
    expect(sameDigest(hash, hash.slice(0, 62))).toBe(false);
    expect(sameDigest('zz', 'zz')).toBe(false);
  });
});
