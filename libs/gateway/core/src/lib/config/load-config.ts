import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import {
  AppConfig,
  AuditPartitionUnit,
  ConfigError,
  DeploymentMode,
  LogFormat,
  LogLevel,
  RateLimitFailMode,
  RuntimeEnv,
  SpendFailMode,
} from './app-config';
import { parseAllowedPrivateHosts } from './private-hosts';
import { parseTrustedProxyCidrs } from './trusted-proxies';

/** Hard ceiling for request bodies (spec: AILINK_MAX_BODY_BYTES, hard maximum 25 MiB). */
export const MAX_BODY_BYTES_CEILING = 25 * 1024 * 1024;

const HEX_64 = /^[0-9a-fA-F]{64}$/;
/** Values that appear in docs and examples; refused in production. */
const PLACEHOLDER_ADMIN_KEYS = new Set([
  'changeme',
  'change-me',
  'admin',
  'password',
  'secret',
  'ailink',
  'ailink-admin-key',
  'dev-admin-key',
]);

export interface LoadConfigOptions {
  /** Version reported by /readyz and the boot log. */
  version: string;
  /** Default portal directory (the built Angular app), relative paths resolve against cwd. */
  defaultPortalDir: string;
  /** Working directory used to resolve relative paths (defaults to process.cwd()). */
  cwd?: string;
}

type Env = Record<string, string | undefined>;

/**
 * Builds the typed configuration from the environment. Every value is validated here, once; a bad
 * value throws a ConfigError naming the variable. Outside production, a missing master key and admin
 * key are generated once into the data directory (mode 0600) and reused on later boots.
 */
export function loadConfig(env: Env, options: LoadConfigOptions): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  const runtimeEnv = oneOf<RuntimeEnv>('AILINK_ENV', read('AILINK_ENV') ?? 'development', ['development', 'production', 'test']);
  const production = runtimeEnv === 'production';
  const databaseUrl = optionalUrl('DATABASE_URL', read('DATABASE_URL'), ['postgres:', 'postgresql:']);
  const redisUrl = optionalUrl('REDIS_URL', read('REDIS_URL'), ['redis:', 'rediss:']);
  if (production && (!databaseUrl || !redisUrl)) {
    throw new ConfigError(
      databaseUrl ? 'REDIS_URL' : 'DATABASE_URL',
      'is required when AILINK_ENV=production (the embedded mode is for a single development instance)',
    );
  }
  if (!!databaseUrl !== !!redisUrl) {
    throw new ConfigError(
      databaseUrl ? 'REDIS_URL' : 'DATABASE_URL',
      'must be set together with ' +
        (databaseUrl ? 'DATABASE_URL' : 'REDIS_URL') +
        ' (set both for the external mode, or neither for the embedded mode)',
    );
  }
  const mode: DeploymentMode = databaseUrl ? 'external' : 'embedded';
  const dataDir = absolute(cwd, read('AILINK_DATA_DIR') ?? '.ailink');

  const generated: { masterKeyFile?: string; adminKeyFile?: string } = {};
  let masterKeyHex = read('AILINK_MASTER_KEY');
  if (masterKeyHex === undefined) {
    if (production)
      throw new ConfigError(
        'AILINK_MASTER_KEY',
        'is required in production: 64 hexadecimal characters (generate one with `openssl rand -hex 32`)',
      );
    const file = join(dataDir, 'master-key');
    masterKeyHex = readOrCreateSecret(file, () => randomBytes(32).toString('hex'));
    generated.masterKeyFile = file;
  }
  const masterKey = hexKey('AILINK_MASTER_KEY', masterKeyHex, production);
  const previousHex = read('AILINK_MASTER_KEY_PREVIOUS');
  const masterKeyPrevious = previousHex === undefined ? undefined : hexKey('AILINK_MASTER_KEY_PREVIOUS', previousHex, production);
  if (masterKeyPrevious?.equals(masterKey)) {
    throw new ConfigError('AILINK_MASTER_KEY_PREVIOUS', 'must differ from AILINK_MASTER_KEY');
  }

  let adminKey = read('AILINK_ADMIN_KEY');
  if (adminKey === undefined && !production) {
    const file = join(dataDir, 'admin-key');
    adminKey = readOrCreateSecret(file, () => `ailink_admin_${randomBytes(24).toString('hex')}`);
    generated.adminKeyFile = file;
  }
  if (adminKey !== undefined) {
    if (adminKey.length < 16) throw new ConfigError('AILINK_ADMIN_KEY', 'must be at least 16 characters long');
    if (production && (PLACEHOLDER_ADMIN_KEYS.has(adminKey.toLowerCase()) || /^(.)\1+$/.test(adminKey))) {
      throw new ConfigError(
        'AILINK_ADMIN_KEY',
        'is a placeholder value, refused in production: set a random key (e.g. `openssl rand -hex 32`)',
      );
    }
  }

  const maxBodyBytes = int('AILINK_MAX_BODY_BYTES', read('AILINK_MAX_BODY_BYTES'), MAX_BODY_BYTES_CEILING, 1024, MAX_BODY_BYTES_CEILING);
  const portalOrigins = (read('AILINK_PORTAL_ORIGINS') ?? 'http://localhost:3000')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of portalOrigins) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError(
        'AILINK_PORTAL_ORIGINS',
        `must be a comma list of origins such as https://portal.example.com (got "${origin}")`,
      );
    }
    if (parsed.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError('AILINK_PORTAL_ORIGINS', `must list bare origins without a path (got "${origin}")`);
    }
  }
  const port = int('AILINK_PORT', read('AILINK_PORT'), 8443, 0, 65535);
  const publicUrl = optionalUrl('AILINK_PUBLIC_URL', read('AILINK_PUBLIC_URL'), ['http:', 'https:']) ?? `http://localhost:${port}`;

  const config = Object.assign(Object.create(AppConfig.prototype) as AppConfig, {
    version: options.version,
    env: runtimeEnv,
    mode,
    host: read('AILINK_HOST') ?? '0.0.0.0',
    port,
    publicUrl,
    databaseUrl,
    redisUrl,
    redisKeyPrefix: prefix(read('AILINK_REDIS_KEY_PREFIX') ?? ''),
    dataDir,
    databaseMaxConnections: int('AILINK_DATABASE_MAX_CONNECTIONS', read('AILINK_DATABASE_MAX_CONNECTIONS'), 50, 1, 1000),
    databaseConnectTimeoutMs: int('AILINK_DATABASE_CONNECT_TIMEOUT_MS', read('AILINK_DATABASE_CONNECT_TIMEOUT_MS'), 5000, 100, 120000),
    migrateOnStart: bool('AILINK_MIGRATE_ON_START', read('AILINK_MIGRATE_ON_START'), true),
    masterKey,
    masterKeyPrevious,
    masterKeyRotateOnStart: bool('AILINK_MASTER_KEY_ROTATE_ON_START', read('AILINK_MASTER_KEY_ROTATE_ON_START'), false),
    adminKey,
    portalOrigins,
    portalDir: absolute(cwd, read('AILINK_PORTAL_DIR') ?? options.defaultPortalDir),
    maxBodyBytes,
    l1TtlMs: int('AILINK_L1_TTL_MS', read('AILINK_L1_TTL_MS'), 5000, 0, 3_600_000),
    l1MaxEntries: int('AILINK_L1_MAX_ENTRIES', read('AILINK_L1_MAX_ENTRIES'), 10000, 1, 10_000_000),
    l2TtlSecs: int('AILINK_L2_TTL_SECS', read('AILINK_L2_TTL_SECS'), 300, 1, 86400),
    auditFlushMs: int('AILINK_AUDIT_FLUSH_MS', read('AILINK_AUDIT_FLUSH_MS'), 200, 10, 60_000),
    auditBatchSize: int('AILINK_AUDIT_BATCH_SIZE', read('AILINK_AUDIT_BATCH_SIZE'), 500, 1, 10_000),
    auditQueueMax: int('AILINK_AUDIT_QUEUE_MAX', read('AILINK_AUDIT_QUEUE_MAX'), 50_000, 1, 10_000_000),
    auditQueueMaxBytes: int('AILINK_AUDIT_QUEUE_MAX_BYTES', read('AILINK_AUDIT_QUEUE_MAX_BYTES'), 268_435_456, 1_048_576, 17_179_869_184),
    auditSpillMax: int('AILINK_AUDIT_SPILL_MAX', read('AILINK_AUDIT_SPILL_MAX'), 200_000, 0, 100_000_000),
    auditPartition: oneOf<AuditPartitionUnit>('AILINK_AUDIT_PARTITION', read('AILINK_AUDIT_PARTITION') ?? 'month', ['month', 'day']),
    auditPartitionsAhead: int('AILINK_AUDIT_PARTITIONS_AHEAD', read('AILINK_AUDIT_PARTITIONS_AHEAD'), 3, 0, 366),
    auditRetentionDays: int('AILINK_AUDIT_RETENTION_DAYS', read('AILINK_AUDIT_RETENTION_DAYS'), 90, 1, 36_500),
    allowedPrivateHosts: Object.freeze(parseAllowedPrivateHosts(read('AILINK_ALLOWED_PRIVATE_HOSTS'))),
    blockPrivateUpstreams: bool('AILINK_BLOCK_PRIVATE_UPSTREAMS', read('AILINK_BLOCK_PRIVATE_UPSTREAMS'), false),
    logFormat: oneOf<LogFormat>('AILINK_LOG_FORMAT', read('AILINK_LOG_FORMAT') ?? 'text', ['text', 'json']),
    logLevel: oneOf<LogLevel>('AILINK_LOG_LEVEL', read('AILINK_LOG_LEVEL') ?? 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
    accessLog: bool('AILINK_ACCESS_LOG', read('AILINK_ACCESS_LOG'), true),
    metricsToken: read('AILINK_METRICS_TOKEN'),
    shutdownGraceMs: int('AILINK_SHUTDOWN_GRACE_SECS', read('AILINK_SHUTDOWN_GRACE_SECS'), 25, 0, 600) * 1000,
    upstreamTimeoutMs: int('AILINK_UPSTREAM_TIMEOUT_SECS', read('AILINK_UPSTREAM_TIMEOUT_SECS'), 60, 1, 3600) * 1000,
    upstreamConnectTimeoutMs: int('AILINK_UPSTREAM_CONNECT_TIMEOUT_SECS', read('AILINK_UPSTREAM_CONNECT_TIMEOUT_SECS'), 5, 1, 300) * 1000,
    streamIdleTimeoutMs: int('AILINK_STREAM_IDLE_TIMEOUT_SECS', read('AILINK_STREAM_IDLE_TIMEOUT_SECS'), 300, 1, 3600) * 1000,
    enableTestHooks: bool('AILINK_ENABLE_TEST_HOOKS', read('AILINK_ENABLE_TEST_HOOKS'), false),
    spendFailMode: oneOf<SpendFailMode>('AILINK_SPEND_FAIL_MODE', read('AILINK_SPEND_FAIL_MODE') ?? 'closed', ['closed', 'open']),
    spendReservationTtlSecs: int('AILINK_SPEND_RESERVATION_TTL_SECS', read('AILINK_SPEND_RESERVATION_TTL_SECS'), 120, 10, 86_400),
    spendDefaultOutputTokens: int('AILINK_SPEND_DEFAULT_OUTPUT_TOKENS', read('AILINK_SPEND_DEFAULT_OUTPUT_TOKENS'), 1024, 0, 10_000_000),
    budgetWarnRatio: ratio('AILINK_BUDGET_WARN_RATIO', read('AILINK_BUDGET_WARN_RATIO'), 0.8),
    spendFlushMs: int('AILINK_SPEND_FLUSH_MS', read('AILINK_SPEND_FLUSH_MS'), 10_000, 100, 3_600_000),
    defaultRpm: int('AILINK_DEFAULT_RPM', read('AILINK_DEFAULT_RPM'), 600, 0, 100_000_000),
    defaultRpmWindowSecs: int('AILINK_DEFAULT_RPM_WINDOW', read('AILINK_DEFAULT_RPM_WINDOW'), 60, 1, 2_592_000),
    rateLimitFailMode: oneOf<RateLimitFailMode>('AILINK_RATE_LIMIT_FAIL_MODE', read('AILINK_RATE_LIMIT_FAIL_MODE') ?? 'closed', [
      'closed',
      'open',
    ]),
    trustedProxyCidrs: Object.freeze(parseTrustedProxyCidrs(read('AILINK_TRUSTED_PROXY_CIDRS'))),
    cbShared: bool('AILINK_CB_SHARED', read('AILINK_CB_SHARED'), true),
    rotationEnabled: bool('AILINK_ROTATION_ENABLED', read('AILINK_ROTATION_ENABLED'), false),
    rotationCheckIntervalSecs: int('AILINK_ROTATION_CHECK_INTERVAL', read('AILINK_ROTATION_CHECK_INTERVAL'), 3600, 1, 2_592_000),
    portalSessionTtlSecs: int('AILINK_PORTAL_SESSION_TTL_SECS', read('AILINK_PORTAL_SESSION_TTL_SECS'), 28_800, 60, 2_592_000),
    hitlMaxWaitSecs: int('AILINK_HITL_MAX_WAIT_SECS', read('AILINK_HITL_MAX_WAIT_SECS'), 1800, 1, 86_400),
    hitlMaxPendingPerToken: int('AILINK_HITL_MAX_PENDING_PER_TOKEN', read('AILINK_HITL_MAX_PENDING_PER_TOKEN'), 10, 1, 100_000),
    generated,
  });
  if (config.enableTestHooks && production) {
    throw new ConfigError('AILINK_ENABLE_TEST_HOOKS', 'must not be enabled when AILINK_ENV=production');
  }
  return Object.freeze(config);
}

/** A one-line summary for the boot log. Never includes a secret or a URL's credentials. */
export function describeConfig(config: AppConfig): string {
  const parts = [`mode=${config.mode}`, `env=${config.env}`, `port=${config.port}`];
  if (config.databaseUrl) parts.push(`database=${redactUrl(config.databaseUrl)}`);
  else parts.push(`data_dir=${config.dataDir}`);
  if (config.redisUrl) parts.push(`redis=${redactUrl(config.redisUrl)}`);
  return parts.join(' ');
}

/** `postgres://user:secret@host:5432/db` → `postgres://user:***@host:5432/db`. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '[unparseable url]';
  }
}

function readOrCreateSecret(file: string, create: () => string): string {
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value) return value;
  }
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const value = create();
  writeFileSync(file, value + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

function hexKey(name: string, value: string, production: boolean): Buffer {
  if (!HEX_64.test(value)) {
    throw new ConfigError(name, 'must be 64 hexadecimal characters (a 32-byte key; generate one with `openssl rand -hex 32`)');
  }
  if (production && /^(.)\1+$/i.test(value)) {
    throw new ConfigError(
      name,
      'is a placeholder value (one repeated digit), refused in production: generate one with `openssl rand -hex 32`',
    );
  }
  return Buffer.from(value, 'hex');
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number between ${min} and ${max} (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  return value;
}

function ratio(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d*\.?\d+$/.test(raw) || !(value > 0 && value <= 1)) throw new ConfigError(name, `must be a number in (0, 1] (got "${raw}")`);
  return value;
}

function bool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  const lower = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'off'].includes(lower)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
}

function optionalUrl(name: string, raw: string | undefined, protocols: string[]): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')}`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must be a URL starting with ${protocols.map((p) => p + '//').join(' or ')} (got ${url.protocol}//…)`);
  }
  return raw;
}

function prefix(raw: string): string {
  if (!/^[A-Za-z0-9:_.-]{0,64}$/.test(raw)) {
    throw new ConfigError('AILINK_REDIS_KEY_PREFIX', 'may contain only letters, digits and : _ . - (at most 64 characters)');
  }
  return raw;
}

function absolute(cwd: string, path: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
