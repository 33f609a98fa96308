import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config';
import { loadConfig } from './load-config';
import { TrustedProxies, normaliseIpAddress, parseTrustedProxyCidrs } from './trusted-proxies';

const opts = { version: '1.2.3', defaultPortalDir: '/portal' };
const base = () => ({
  AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-config-')),
  AILINK_MASTER_KEY: 'a1'.repeat(32),
  AILINK_ADMIN_KEY: 'x'.repeat(20),
});

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.0/8', '192.0.2.1', 'fd00::/8']);

  it('uses the socket address when no proxy is trusted, whatever the headers say', () => {
    const none = new TrustedProxies();
    expect(none.clientIp('::ffff:127.0.0.1', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '5.6.7.8' })).toBe('127.0.0.1');
    expect(proxies.clientIp('203.0.113.9', { 'x-forwarded-for': '1.2.3.4' })).toBe('203.0.113.9');
  });

  it('takes the first X-Forwarded-For hop from a trusted peer (IPv4, IPv4-mapped and IPv6 peers)', () => {
    expect(proxies.clientIp('10.4.5.6', { 'x-forwarded-for': '198.51.100.7, 10.4.5.6' })).toBe('198.51.100.7');
    expect(proxies.clientIp('::ffff:10.4.5.6', { 'x-forwarded-for': '198.51.100.8' })).toBe('198.51.100.8');
    expect(proxies.clientIp('192.0.2.1', { 'x-forwarded-for': ' 2001:DB8:0:0:0:0:0:1 ' })).toBe('2001:db8::1');
    expect(proxies.clientIp('fd12::1', { 'x-forwarded-for': '::ffff:198.51.100.9' })).toBe('198.51.100.9');
  });

  it('falls back to X-Real-IP, then to the peer, when the forwarded value is missing or not an address', () => {
    expect(proxies.clientIp('10.0.0.1', { 'x-real-ip': '198.51.100.20' })).toBe('198.51.100.20');
    expect(proxies.clientIp('10.0.0.1', { 'x-forwarded-for': 'unknown', 'x-real-ip': '198.51.100.21' })).toBe('198.51.100.21');
    expect(proxies.clientIp('10.0.0.1', { 'x-forwarded-for': 'garbage' })).toBe('10.0.0.1');
    expect(proxies.clientIp('192.0.2.2', { 'x-forwarded-for': '198.51.100.22' })).toBe('192.0.2.2');
  });

  it('normalises addresses and validates the variable', () => {
    expect(normaliseIpAddress('::ffff:1.2.3.4')).toBe('1.2.3.4');
    expect(normaliseIpAddress('fe80:0:0:0:1:0:0:1')).toBe('fe80::1:0:0:1');
    expect(normaliseIpAddress('not-an-ip')).toBeNull();
    expect(parseTrustedProxyCidrs(' 10.0.0.0/8, 10.0.0.0/8 ,::1 ')).toEqual(['10.0.0.0/8', '::1']);
    expect(parseTrustedProxyCidrs(undefined)).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'proxy.local', '10.0.0/8', '::/129']) expect(() => parseTrustedProxyCidrs(bad)).toThrow(ConfigError);
  });
});

describe('loadConfig: rate-limit variables', () => {
  it('applies the documented defaults', () => {
    expect(loadConfig(base(), opts)).toMatchObject({
      defaultRpm: 600,
      defaultRpmWindowSecs: 60,
      rateLimitFailMode: 'closed',
      trustedProxyCidrs: [],
    });
  });

  it('reads every variable (0 disables the default limit)', () => {
    const config = loadConfig(
      {
        ...base(),
        AILINK_DEFAULT_RPM: '0',
        AILINK_DEFAULT_RPM_WINDOW: '3600',
        AILINK_RATE_LIMIT_FAIL_MODE: 'open',
        AILINK_TRUSTED_PROXY_CIDRS: '10.0.0.0/8,fd00::/8',
      },
      opts,
    );
    expect(config).toMatchObject({
      defaultRpm: 0,
      defaultRpmWindowSecs: 3600,
      rateLimitFailMode: 'open',
      trustedProxyCidrs: ['10.0.0.0/8', 'fd00::/8'],
    });
  });

  it.each([
    ['AILINK_DEFAULT_RPM', '-1'],
    ['AILINK_DEFAULT_RPM', 'lots'],
    ['AILINK_DEFAULT_RPM_WINDOW', '0'],
    ['AILINK_DEFAULT_RPM_WINDOW', '2592001'],
    ['AILINK_RATE_LIMIT_FAIL_MODE', 'maybe'],
    ['AILINK_TRUSTED_PROXY_CIDRS', '10.0.0.0/40'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expect(configError({ ...base(), [variable]: value }).variable).toBe(variable);
  });
});
