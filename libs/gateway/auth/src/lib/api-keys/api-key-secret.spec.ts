import { createHash } from 'node:crypto';
import { API_KEY_PATTERN } from '@ailink/shared-contracts';
import { apiKeyHash, looksLikeApiKey, mintApiKey } from './api-key-secret';

describe('API key secrets', () => {
  it('mints ak_live_{org8}_{32 hex} and keeps only its SHA-256 and a display prefix', () => {
    const minted = mintApiKey('ABCDEF01-2345-4678-9abc-def012345678', () => Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
    expect(minted.key).toBe('ak_live_abcdef01_00112233445566778899aabbccddeeff');
    expect(minted.keyHash).toBe(createHash('sha256').update(minted.key).digest('hex'));
    expect(minted.keyPrefix).toBe('ak_live_abcdef01_0011');
    expect(minted.key).toMatch(API_KEY_PATTERN);
  });

  it('draws fresh randomness for every key', () => {
    const a = mintApiKey('00000000-0000-0000-0000-000000000001');
    const b = mintApiKey('00000000-0000-0000-0000-000000000001');
    expect(a.key).not.toBe(b.key);
    expect(a.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(apiKeyHash(a.key)).toBe(a.keyHash);
  });

  it('recognises the key shape only', () => {
    expect(looksLikeApiKey('ak_live_00000000_00112233445566778899aabbccddeeff')).toBe(true);
    expect(looksLikeApiKey('ak_live_00000000_00112233445566778899AABBCCDDEEFF')).toBe(false);
    expect(looksLikeApiKey('ak_live_0000000_00112233445566778899aabbccddeeff0')).toBe(false);
    expect(looksLikeApiKey('ak_live_00000000_00112233')).toBe(false);
    expect(looksLikeApiKey('ailink_v1_00000000_tok_00112233445566778899aabbccddeeff')).toBe(false);
  });
});
