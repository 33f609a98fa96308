import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config';

const opts = { version: '1.2.3', defaultPortalDir: '/portal' };
const base = () => ({
  AILINK_MASTER_KEY: 'a1'.repeat(32),
  AILINK_ADMIN_KEY: 'x'.repeat(20) + 'y',
  AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-cbrot-')),
});

describe('AILINK_CB_SHARED, AILINK_ROTATION_ENABLED, AILINK_ROTATION_CHECK_INTERVAL', () => {
  it('default to shared breakers and no scheduled rotation, checked hourly', () => {
    const config = loadConfig(base(), opts);
    expect(config.cbShared).toBe(true);
    expect(config.rotationEnabled).toBe(false);
    expect(config.rotationCheckIntervalSecs).toBe(3600);
  });

  it('read valid values', () => {
    const config = loadConfig(
      { ...base(), AILINK_CB_SHARED: 'false', AILINK_ROTATION_ENABLED: 'true', AILINK_ROTATION_CHECK_INTERVAL: '60' },
      opts,
    );
    expect(config.cbShared).toBe(false);
    expect(config.rotationEnabled).toBe(true);
    expect(config.rotationCheckIntervalSecs).toBe(60);
  });

  it.each([
    ['AILINK_CB_SHARED', 'sometimes', /AILINK_CB_SHARED must be true or false/],
    ['AILINK_ROTATION_ENABLED', 'yes please', /AILINK_ROTATION_ENABLED must be true or false/],
    ['AILINK_ROTATION_CHECK_INTERVAL', '0', /AILINK_ROTATION_CHECK_INTERVAL must be between 1 and 2592000/],
    ['AILINK_ROTATION_CHECK_INTERVAL', '1h', /AILINK_ROTATION_CHECK_INTERVAL must be a whole number/],
  ])('refuses %s=%s, naming the variable', (name, raw, message) => {
    expect(() => loadConfig({ ...base(), [name]: raw }, opts)).toThrow(message);
  });
});
