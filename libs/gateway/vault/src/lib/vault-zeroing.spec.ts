import pino from 'pino';
import type { AppConfig } from '@ailink/gateway-core';

/** Every 32-byte buffer handed out as a fresh DEK, and every plaintext a decipher keyed by a KEK produced (unwrapped DEKs). */
const freshDeks: Buffer[] = [];
const unwrapped: Buffer[] = [];
const keks = new Set<string>();

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return {
    ...actual,
    randomBytes: (size: number) => {
      const out = actual.randomBytes(size);
      if (size === 32) freshDeks.push(out);
      return out;
    },
    createDecipheriv: (...args: Parameters<typeof actual.createDecipheriv>) => {
      const decipher = actual.createDecipheriv(...args);
      if (!keks.has(Buffer.from(args[1] as Buffer).toString('hex'))) return decipher;
      const update = decipher.update.bind(decipher) as (data: Buffer) => Buffer;
      const final = decipher.final.bind(decipher) as () => Buffer;
      return Object.assign(decipher, {
        update: (data: Buffer) => {
          const out = update(data);
          unwrapped.push(out);
          return out;
        },
        final: () => {
          const out = final();
          unwrapped.push(out);
          return out;
        },
      });
    },
  };
});

// Imported after the mock so that the service uses it.
const { VaultService } = require('./vault.service') as typeof import('./vault.service');

const KEY = Buffer.alloc(32, 7);
const SECRET = Buffer.from('sk-live-zeroing-test');
const isZero = (b: Buffer) => b.every((byte) => byte === 0);

describe('VaultService zeroes plaintext data keys', () => {
  const vault = new VaultService({ masterKey: KEY, masterKeyPrevious: undefined } as unknown as AppConfig, pino({ level: 'silent' }));
  keks.add(KEY.toString('hex'));

  beforeEach(() => {
    freshDeks.length = 0;
    unwrapped.length = 0;
  });

  it('after sealing', () => {
    vault.seal(SECRET);
    expect(freshDeks).toHaveLength(1);
    expect(isZero(freshDeks[0])).toBe(true);
  });

  it('after opening', () => {
    const sealed = vault.seal(SECRET);
    unwrapped.length = 0;
    const opened = vault.open(sealed);
    expect(opened.equals(SECRET)).toBe(true);
    expect(unwrapped.length).toBeGreaterThan(0);
    expect(unwrapped.every(isZero)).toBe(true);
  });

  it('after a re-wrap and a DEK refresh', () => {
    const sealed = vault.seal(SECRET);
    freshDeks.length = 0;
    unwrapped.length = 0;
    vault.rewrap(sealed);
    vault.reseal(sealed);
    expect(unwrapped.length).toBeGreaterThan(0);
    expect(unwrapped.every(isZero)).toBe(true);
    expect(freshDeks.every(isZero)).toBe(true);
  });
});
