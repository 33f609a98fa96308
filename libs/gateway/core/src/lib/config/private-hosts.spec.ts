import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config';
import { loadConfig } from './load-config';
import { OutboundUrlGuard, classifyIpAddress, parseAllowedPrivateHosts, parseIpAddress, type HostResolver } from './private-hosts';

const baseEnv = () => ({
  AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-ssrf-')),
  AILINK_MASTER_KEY: 'a1'.repeat(32),
  AILINK_ADMIN_KEY: 'x'.repeat(20),
});
const opts = { version: '1.0.0', defaultPortalDir: '/portal' };

/** A resolver answering from a fixed table (no real DNS in unit tests). */
function fakeDns(table: Record<string, string[]>): HostResolver {
  return async (host) => {
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
}

describe('AILINK_ALLOWED_PRIVATE_HOSTS / AILINK_BLOCK_PRIVATE_UPSTREAMS in loadConfig', () => {
  it('defaults to no exemptions and operator configuration not blocked', () => {
    const config = loadConfig(baseEnv(), opts);
    expect(config.allowedPrivateHosts).toEqual([]);
    expect(config.blockPrivateUpstreams).toBe(false);
  });

  it('parses a comma list of host names, IPs and CIDRs (normalised, deduplicated)', () => {
    const config = loadConfig(
      {
        ...baseEnv(),
        AILINK_ALLOWED_PRIVATE_HOSTS: ' 127.0.0.1, LocalHost., 10.0.0.0/8,[::1], fd00::/8,,localhost',
        AILINK_BLOCK_PRIVATE_UPSTREAMS: 'true',
      },
      opts,
    );
    expect(config.allowedPrivateHosts).toEqual(['127.0.0.1', 'localhost', '10.0.0.0/8', '::1', 'fd00::/8']);
    expect(config.blockPrivateUpstreams).toBe(true);
  });

  it.each(['10.0.0.0/33', '::1/129', 'bad host', 'http://x', '300.1.1.1/8', 'a/b'])(
    'refuses the malformed entry %s naming the variable',
    (entry) => {
      expect(() => loadConfig({ ...baseEnv(), AILINK_ALLOWED_PRIVATE_HOSTS: entry }, opts)).toThrow(ConfigError);
      try {
        parseAllowedPrivateHosts(entry);
      } catch (error) {
        expect((error as ConfigError).variable).toBe('AILINK_ALLOWED_PRIVATE_HOSTS');
      }
    },
  );
});

describe('parseIpAddress', () => {
  it('parses IPv4, IPv6 (compressed, bracketed, zoned, embedded IPv4) and refuses the rest', () => {
    expect(Array.from(parseIpAddress('192.168.1.2') ?? [])).toEqual([192, 168, 1, 2]);
    expect(parseIpAddress('[::1]')?.[15]).toBe(1);
    expect(parseIpAddress('fe80::1%eth0')?.[0]).toBe(0xfe);
    expect(Array.from(parseIpAddress('::ffff:127.0.0.1') ?? []).slice(10)).toEqual([0xff, 0xff, 127, 0, 0, 1]);
    expect(parseIpAddress('example.com')).toBeNull();
    expect(parseIpAddress('1.2.3')).toBeNull();
    expect(parseIpAddress('1::2::3')).toBeNull();
  });
});

describe('classifyIpAddress (full SSRF rules)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.1.1', 'link_local'],
    ['169.254.169.254', 'cloud_metadata'],
    ['100.64.0.1', 'carrier_grade_nat'],
    ['100.127.255.255', 'carrier_grade_nat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique_local'],
    ['fd12:3456::1', 'unique_local'],
    ['fd00:ec2::254', 'cloud_metadata'],
    ['fe80::1', 'link_local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'cloud_metadata'],
    ['::ffff:a9fe:a9fe', 'cloud_metadata'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:192.168.1.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
  ])('%s → %s', (address, kind) => {
    expect(classifyIpAddress(address)).toBe(kind);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '172.15.255.255',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '169.255.0.1',
  ])('%s is public', (address) => {
    expect(classifyIpAddress(address)).toBeNull();
  });
});

describe('OutboundUrlGuard', () => {
  const dns = fakeDns({
    'api.example.com': ['93.184.216.34'],
    'internal.corp': ['10.1.2.3'],
    'dual.example.com': ['93.184.216.34', '::1'],
    localhost: ['127.0.0.1', '::1'],
    'rebind.example.com': ['::ffff:169.254.169.254'],
  });

  it('allows public literal addresses and host names resolving to public addresses', async () => {
    const guard = new OutboundUrlGuard([], dns);
    await expect(guard.check('https://93.184.216.34/x', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(guard.check('https://api.example.com/v1', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
  });

  it.each([
    'http://127.0.0.1:9000/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://2130706433/',
    'http://0x7f.0.0.1/',
    'http://0/',
    'http://10.0.0.5/',
    'http://169.254.169.254/latest/meta-data',
    'http://[fd00:ec2::254]/',
    'http://[fe80::1]/',
    'http://100.64.1.1/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://METADATA/',
    'http://internal.corp/',
    'http://dual.example.com/',
    'http://localhost:8080/',
    'http://rebind.example.com/',
  ])('refuses %s under the full rules', async (url) => {
    const verdict = await new OutboundUrlGuard([], dns).check(url, { rules: 'full' });
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toEqual(expect.any(String));
  });

  it('exempts a literal IP only through IP/CIDR entries, a host name only through its name entry', async () => {
    const byName = new OutboundUrlGuard(['localhost'], dns);
    await expect(byName.check('http://localhost:9000/hook', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(byName.check('http://127.0.0.1/', { rules: 'full' })).resolves.toMatchObject({ allowed: false, kind: 'loopback' });

    const byIp = new OutboundUrlGuard(['127.0.0.1'], dns);
    await expect(byIp.check('http://127.0.0.1:1234/', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(byIp.check('http://[::ffff:127.0.0.1]/', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(byIp.check('http://127.0.0.2/', { rules: 'full' })).resolves.toMatchObject({ allowed: false });
    // localhost also resolves to ::1, which the entry does not cover.
    await expect(byIp.check('http://localhost/', { rules: 'full' })).resolves.toMatchObject({ allowed: false, address: '::1' });

    const byCidr = new OutboundUrlGuard(['10.0.0.0/8', 'fd00::/8', '::ffff:192.168.0.0/112'], dns);
    await expect(byCidr.check('http://10.200.0.1/', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(byCidr.check('http://internal.corp/', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(byCidr.check('http://[fd12::1]/', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(byCidr.check('http://192.168.3.4/', { rules: 'full' })).resolves.toMatchObject({ allowed: true });
    await expect(byCidr.check('http://172.16.0.1/', { rules: 'full' })).resolves.toMatchObject({ allowed: false, kind: 'private' });
  });

  it('refuses only cloud metadata under the metadata rules (operator configuration)', async () => {
    const guard = new OutboundUrlGuard([], dns);
    await expect(guard.check('http://127.0.0.1:8000/v1', { rules: 'metadata' })).resolves.toMatchObject({ allowed: true });
    await expect(guard.check('http://10.0.0.1/', { rules: 'metadata', resolve: false })).resolves.toMatchObject({ allowed: true });
    await expect(guard.check('http://169.254.169.254/', { rules: 'metadata' })).resolves.toMatchObject({
      allowed: false,
      kind: 'cloud_metadata',
    });
    await expect(guard.check('http://[::ffff:169.254.169.254]/', { rules: 'metadata' })).resolves.toMatchObject({ allowed: false });
    await expect(guard.check('http://metadata.internal./', { rules: 'metadata', resolve: false })).resolves.toMatchObject({
      allowed: false,
    });
    await expect(
      new OutboundUrlGuard(['169.254.169.254'], dns).check('http://169.254.169.254/', { rules: 'metadata' }),
    ).resolves.toMatchObject({
      allowed: true,
    });
    await expect(new OutboundUrlGuard(['metadata'], dns).check('http://metadata/', { rules: 'full' })).resolves.toMatchObject({
      allowed: true,
    });
  });

  it('lets unresolvable names through at write time, flagged, but never "localhost"', async () => {
    const guard = new OutboundUrlGuard([], fakeDns({}));
    await expect(guard.check('https://nowhere.invalid/', { rules: 'full' })).resolves.toEqual({ allowed: true, unresolved: true });
    await expect(guard.check('http://localhost/', { rules: 'full' })).resolves.toMatchObject({ allowed: false, kind: 'loopback' });
    await expect(guard.check('http://app.localhost/', { rules: 'full' })).resolves.toMatchObject({ allowed: false });
  });

  it('checks single addresses for the connect-time re-check', () => {
    const guard = new OutboundUrlGuard(['192.168.1.0/24']);
    expect(guard.checkAddress('192.168.1.7').allowed).toBe(true);
    expect(guard.checkAddress('192.168.2.7')).toMatchObject({ allowed: false, kind: 'private', address: '192.168.2.7' });
    expect(guard.checkAddress('::ffff:192.168.1.7').allowed).toBe(true);
    expect(guard.checkAddress('8.8.8.8').allowed).toBe(true);
    expect(guard.checkAddress('fe80::1:0:0:2')).toMatchObject({ allowed: false, address: 'fe80::1:0:0:2' });
    expect(guard.checkAddress('fd00:0:0:1::')).toMatchObject({ allowed: false, address: 'fd00:0:0:1::' });
  });
});
