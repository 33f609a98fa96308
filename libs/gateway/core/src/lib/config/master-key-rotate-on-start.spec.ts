import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config';
import { loadConfig } from './load-config';

const opts = { version: '1.2.3', defaultPortalDir: '/portal' };
const base = () => ({
  AILINK_MASTER_KEY: 'a1'.repeat(32),
  AILINK_ADMIN_KEY: 'x'.repeat(20) + 'y',
  AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-rotate-')),
});

describe('AILINK_MASTER_KEY_ROTATE_ON_START', () => {
  it('defaults to false', () => {
    expect(loadConfig(base(), opts).masterKeyRotateOnStart).toBe(false);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['false', false],
    ['0', false],
  ])('reads %s as %s', (raw, expected) => {
    expect(loadConfig({ ...base(), AILINK_MASTER_KEY_ROTATE_ON_START: raw }, opts).masterKeyRotateOnStart).toBe(expected);
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ ...base(), AILINK_MASTER_KEY_ROTATE_ON_START: 'maybe' }, opts)).toThrow(ConfigError);
    expect(() => loadConfig({ ...base(), AILINK_MASTER_KEY_ROTATE_ON_START: 'maybe' }, opts)).toThrow(
      /^Invalid configuration: AILINK_MASTER_KEY_ROTATE_ON_START must be true or false/,
    );
  });
});
