import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load-config';

const opts = { version: '1.2.3', defaultPortalDir: '/portal' };
const base = () => ({
  AILINK_MASTER_KEY: 'a1'.repeat(32),
  AILINK_ADMIN_KEY: 'x'.repeat(20) + 'y',
  AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-portal-session-')),
});

describe('AILINK_PORTAL_SESSION_TTL_SECS', () => {
  it('defaults to 8 hours and reads valid values', () => {
    expect(loadConfig(base(), opts).portalSessionTtlSecs).toBe(28800);
    expect(loadConfig({ ...base(), AILINK_PORTAL_SESSION_TTL_SECS: '3600' }, opts).portalSessionTtlSecs).toBe(3600);
  });

  it('refuses values outside 60 s – 30 days, naming the variable', () => {
    expect(() => loadConfig({ ...base(), AILINK_PORTAL_SESSION_TTL_SECS: '10' }, opts)).toThrow(/AILINK_PORTAL_SESSION_TTL_SECS/);
    expect(() => loadConfig({ ...base(), AILINK_PORTAL_SESSION_TTL_SECS: 'forever' }, opts)).toThrow(/AILINK_PORTAL_SESSION_TTL_SECS/);
  });
});
