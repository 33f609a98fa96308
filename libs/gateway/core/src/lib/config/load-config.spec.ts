import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config';
import { describeConfig, loadConfig, redactUrl } from './load-config';

const KEY = 'a1'.repeat(32);
const opts = { version: '1.2.3', defaultPortalDir: '/portal' };
const dir = () => mkdtempSync(join(tmpdir(), 'ailink-config-'));

function expectConfigError(env: Record<string, string>, variable: string, pattern?: RegExp): void {
  try {
    loadConfig(env, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    if (pattern) expect((error as Error).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected a ConfigError for ${variable}`);
}

describe('loadConfig', () => {
  it('applies the documented defaults in embedded mode', () => {
    const config = loadConfig({ AILINK_DATA_DIR: dir(), AILINK_MASTER_KEY: KEY, AILINK_ADMIN_KEY: 'x'.repeat(20) }, opts);
    expect(config.mode).toBe('embedded');
    expect(config.port).toBe(8443);
    expect(config.env).toBe('development');
    expect(config.maxBodyBytes).toBe(26214400);
    expect(config.portalOrigins).toEqual(['http://localhost:3000']);
    expect(config.l1TtlMs).toBe(5000);
    expect(config.l2TtlSecs).toBe(300);
    expect(config.logFormat).toBe('text');
    expect(config.masterKey).toEqual(Buffer.from(KEY, 'hex'));
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('selects the external mode when DATABASE_URL and REDIS_URL are set', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://u:p@db:5432/ailink',
        REDIS_URL: 'redis://cache:6379',
        AILINK_MASTER_KEY: KEY,
        AILINK_ADMIN_KEY: 'k'.repeat(32),
        AILINK_DATA_DIR: dir(),
      },
      opts,
    );
    expect(config.mode).toBe('external');
  });

  it('generates the master and admin keys once, mode 0600, and reuses them', () => {
    const dataDir = dir();
    const first = loadConfig({ AILINK_DATA_DIR: dataDir }, opts);
    const second = loadConfig({ AILINK_DATA_DIR: dataDir }, opts);
    expect(first.masterKey).toHaveLength(32);
    expect(second.masterKey.equals(first.masterKey)).toBe(true);
    expect(second.adminKey).toBe(first.adminKey);
    expect(first.generated.adminKeyFile).toBe(join(dataDir, 'admin-key'));
    expect(readFileSync(join(dataDir, 'admin-key'), 'utf8').trim()).toBe(first.adminKey);
    expect(statSync(join(dataDir, 'admin-key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'master-key')).mode & 0o777).toBe(0o600);
  });

  it.each([
    [{ AILINK_MASTER_KEY: 'abc' }, 'AILINK_MASTER_KEY', /64 hexadecimal characters/],
    [{ AILINK_MASTER_KEY: 'zz'.repeat(32) }, 'AILINK_MASTER_KEY', /64 hexadecimal/],
    [{ AILINK_PORT: 'eighty' }, 'AILINK_PORT', /whole number/],
    [{ AILINK_PORT: '70000' }, 'AILINK_PORT', /between 0 and 65535/],
    [{ AILINK_MAX_BODY_BYTES: '99999999' }, 'AILINK_MAX_BODY_BYTES', /26214400/],
    [{ AILINK_ENV: 'staging' }, 'AILINK_ENV', /development, production, test/],
    [{ AILINK_LOG_FORMAT: 'xml' }, 'AILINK_LOG_FORMAT', /text, json/],
    [{ DATABASE_URL: 'mysql://x', REDIS_URL: 'redis://x' }, 'DATABASE_URL', /postgres:\/\//],
    [{ DATABASE_URL: 'postgres://db/x' }, 'REDIS_URL', /together/],
    [{ AILINK_ADMIN_KEY: 'short' }, 'AILINK_ADMIN_KEY', /at least 16/],
    [{ AILINK_PORTAL_ORIGINS: 'not a url' }, 'AILINK_PORTAL_ORIGINS', /origins/],
    [{ AILINK_MIGRATE_ON_START: 'maybe' }, 'AILINK_MIGRATE_ON_START', /true or false/],
    [{ AILINK_REDIS_KEY_PREFIX: 'bad prefix!' }, 'AILINK_REDIS_KEY_PREFIX', /letters/],
  ])('refuses %j naming %s', (env, variable, pattern) => {
    expectConfigError({ AILINK_DATA_DIR: dir(), AILINK_MASTER_KEY: KEY, AILINK_ADMIN_KEY: 'y'.repeat(20), ...env }, variable, pattern);
  });

  describe('in production', () => {
    const prod = { AILINK_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r', AILINK_MASTER_KEY: KEY };
    it('requires the master key instead of generating one', () =>
      expectConfigError({ ...prod, AILINK_MASTER_KEY: '' }, 'AILINK_MASTER_KEY', /required in production/));
    it('refuses a placeholder master key', () =>
      expectConfigError({ ...prod, AILINK_MASTER_KEY: '0'.repeat(64) }, 'AILINK_MASTER_KEY', /placeholder/));
    it('refuses a placeholder admin key', () => expectConfigError({ ...prod, AILINK_ADMIN_KEY: 'changeme' }, 'AILINK_ADMIN_KEY'));
    it('refuses a repeated-character admin key', () =>
      expectConfigError({ ...prod, AILINK_ADMIN_KEY: 'a'.repeat(32) }, 'AILINK_ADMIN_KEY', /placeholder/));
    it('requires PostgreSQL and Redis', () =>
      expectConfigError({ AILINK_ENV: 'production', AILINK_MASTER_KEY: KEY }, 'DATABASE_URL', /required/));
    it('refuses test hooks', () => expectConfigError({ ...prod, AILINK_ENABLE_TEST_HOOKS: 'true' }, 'AILINK_ENABLE_TEST_HOOKS'));
    it('disables admin-key auth when no admin key is set, and generates nothing', () => {
      const config = loadConfig({ ...prod, AILINK_DATA_DIR: dir() }, opts);
      expect(config.adminKey).toBeUndefined();
      expect(config.generated).toEqual({});
    });
  });

  it('never prints secrets in the boot summary', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://app:s3cr3t@db:5432/ailink',
        REDIS_URL: 'redis://:r3d1s@cache:6379',
        AILINK_MASTER_KEY: KEY,
        AILINK_ADMIN_KEY: 'admin-secret-value-123',
        AILINK_DATA_DIR: dir(),
      },
      opts,
    );
    const line = describeConfig(config);
    expect(line).toContain('mode=external');
    for (const secret of ['s3cr3t', 'r3d1s', KEY, 'admin-secret-value-123']) expect(line).not.toContain(secret);
    expect(redactUrl('postgres://app:s3cr3t@db/x')).toBe('postgres://app:***@db/x');
  });
});

describe('loadConfig: audit variables', () => {
  const base = () => ({ AILINK_DATA_DIR: dir(), AILINK_MASTER_KEY: KEY, AILINK_ADMIN_KEY: 'x'.repeat(20) });

  it('applies the documented defaults', () => {
    const config = loadConfig(base(), opts);
    expect(config.auditFlushMs).toBe(200);
    expect(config.auditBatchSize).toBe(500);
    expect(config.auditQueueMax).toBe(50000);
    expect(config.auditQueueMaxBytes).toBe(268435456);
    expect(config.auditSpillMax).toBe(200000);
    expect(config.auditPartition).toBe('month');
    expect(config.auditPartitionsAhead).toBe(3);
    expect(config.auditRetentionDays).toBe(90);
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        ...base(),
        AILINK_AUDIT_FLUSH_MS: '50',
        AILINK_AUDIT_BATCH_SIZE: '100',
        AILINK_AUDIT_QUEUE_MAX: '1000',
        AILINK_AUDIT_QUEUE_MAX_BYTES: '10485760',
        AILINK_AUDIT_SPILL_MAX: '0',
        AILINK_AUDIT_PARTITION: 'day',
        AILINK_AUDIT_PARTITIONS_AHEAD: '7',
        AILINK_AUDIT_RETENTION_DAYS: '30',
      },
      opts,
    );
    expect(config).toMatchObject({
      auditFlushMs: 50,
      auditBatchSize: 100,
      auditQueueMax: 1000,
      auditQueueMaxBytes: 10485760,
      auditSpillMax: 0,
      auditPartition: 'day',
      auditPartitionsAhead: 7,
      auditRetentionDays: 30,
    });
  });

  it.each([
    ['AILINK_AUDIT_FLUSH_MS', '0'],
    ['AILINK_AUDIT_FLUSH_MS', 'fast'],
    ['AILINK_AUDIT_BATCH_SIZE', '0'],
    ['AILINK_AUDIT_BATCH_SIZE', '20000'],
    ['AILINK_AUDIT_QUEUE_MAX', '-1'],
    ['AILINK_AUDIT_QUEUE_MAX_BYTES', '1024'],
    ['AILINK_AUDIT_SPILL_MAX', '1.5'],
    ['AILINK_AUDIT_PARTITION', 'week'],
    ['AILINK_AUDIT_PARTITIONS_AHEAD', '-2'],
    ['AILINK_AUDIT_RETENTION_DAYS', '0'],
  ])('refuses %s=%s naming the variable', (variable, value) => {
    expectConfigError({ ...base(), [variable]: value }, variable);
  });
});
