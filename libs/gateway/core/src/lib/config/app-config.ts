/** Where the gateway keeps its state: embedded PGlite + in-process stores, or PostgreSQL + Redis. */
export type DeploymentMode = 'embedded' | 'external';
export type RuntimeEnv = 'development' | 'production' | 'test';
export type LogFormat = 'text' | 'json';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The gateway's configuration: built and validated once at boot (see `loadConfig`), then injected
 * everywhere as `AppConfig`. Secret-bearing fields are marked; `describeConfig` never prints them.
 */
export class AppConfig {
  readonly version!: string;
  readonly env!: RuntimeEnv;
  readonly mode!: DeploymentMode;
  readonly host!: string;
  readonly port!: number;
  readonly publicUrl!: string;
  /** Secret (may embed a password). */
  readonly databaseUrl!: string | undefined;
  /** Secret (may embed a password). */
  readonly redisUrl!: string | undefined;
  readonly redisKeyPrefix!: string;
  readonly dataDir!: string;
  readonly databaseMaxConnections!: number;
  readonly databaseConnectTimeoutMs!: number;
  readonly migrateOnStart!: boolean;
  /** Secret: the 32-byte key-encryption key. */
  readonly masterKey!: Buffer;
  /** Secret: the previous KEK during rotation. */
  readonly masterKeyPrevious!: Buffer | undefined;
  /** Secret: the super-admin key; undefined disables admin-key auth (production without AILINK_ADMIN_KEY). */
  readonly adminKey!: string | undefined;
  readonly portalOrigins!: readonly string[];
  readonly portalDir!: string;
  readonly maxBodyBytes!: number;
  readonly l1TtlMs!: number;
  readonly l1MaxEntries!: number;
  readonly l2TtlSecs!: number;
  readonly logFormat!: LogFormat;
  readonly logLevel!: LogLevel;
  /** One `request completed` line per request (method, path with tokens redacted, status, duration). */
  readonly accessLog!: boolean;
  /** Secret. */
  readonly metricsToken!: string | undefined;
  readonly shutdownGraceMs!: number;
  readonly enableTestHooks!: boolean;
  /** Files this boot generated (outside production): reported in the boot log by path, never by value. */
  readonly generated!: { readonly masterKeyFile?: string; readonly adminKeyFile?: string };

  get isProduction(): boolean {
    return this.env === 'production';
  }
}

/** Thrown when configuration is missing or malformed; its message is the one line printed at boot. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
  ) {
    super(`Invalid configuration: ${variable} ${expected}`);
    this.name = 'ConfigError';
  }
}
