import { createHash } from 'node:crypto';
import { sha1Hex, sha256Hex } from './digest';

describe('digests', () => {
  it.each(['', 'ailink_v1_0000_tok_abc', 'é𝄞 ☃', 'lone \ud800 surrogate', 'x'.repeat(100_000)])('match createHash for %j', (text) => {
    expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    expect(sha1Hex(text)).toBe(createHash('sha1').update(text, 'utf8').digest('hex'));
  });

  it('gives the known SHA-256 of "abc"', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
