import { randomHex } from './random-hex';

describe('randomHex', () => {
  it('returns lowercase hex of the requested length', () => {
    expect(randomHex(16)).toMatch(/^[0-9a-f]{32}$/);
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('never repeats across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(randomHex(16)); // 80 000 bytes: the pool is refilled ~10 times
    expect(seen.size).toBe(5000);
  });

  it('refuses more than the pool holds', () => {
    expect(() => randomHex(8193)).toThrow(RangeError);
  });
});
