/** Where the gateway keeps its state: embedded PGlite + in-process stores, or PostgreSQL + Redis. */
export type DeploymentMode = 'embedded' | 'external';
export type RuntimeEnv = 'development' | 'production' | 'test';
export type LogFormat = 'text' | 'json';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/** Range of one audit partition (`AILINK_AUDIT_PARTITION`). */
export type AuditPartitionUnit = 'month' | 'day';
/** `AILINK_SPEND_FAIL_MODE`. */
export type SpendFailMode = 'closed' | 'open';
/** `AILINK_RATE_LIMIT_FAIL_MODE`. */
export type RateLimitFailMode = 'closed' | 'open';

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
  /** `AILINK_MASTER_KEY_ROTATE_ON_START`: re-wrap every DEK under the current KEK at startup. */
  readonly masterKeyRotateOnStart!: boolean;
  /** Secret: the super-admin key; undefined disables admin-key auth (production without AILINK_ADMIN_KEY). */
  readonly adminKey!: string | undefined;
  readonly portalOrigins!: readonly string[];
  readonly portalDir!: string;
  readonly maxBodyBytes!: number;
  readonly l1TtlMs!: number;
  readonly l1MaxEntries!: number;
  readonly l2TtlSecs!: number;
  /** Audit write path (audit-and-observability.md §2): flush interval, batch size and buffer bounds. */
  readonly auditFlushMs!: number;
  readonly auditBatchSize!: number;
  readonly auditQueueMax!: number;
  readonly auditQueueMaxBytes!: number;
  /** Entries allowed in the Redis overflow list `ailink:audit:spill` (0: no spilling). */
  readonly auditSpillMax!: number;
  /** Audit storage (§3): partition range, partitions kept ahead, retention. */
  readonly auditPartition!: AuditPartitionUnit;
  readonly auditPartitionsAhead!: number;
  readonly auditRetentionDays!: number;
  /** `AILINK_ALLOWED_PRIVATE_HOSTS`: host names, IP addresses and CIDRs exempt from SSRF blocking (normalised). */
  readonly allowedPrivateHosts!: readonly string[];
  /** `AILINK_BLOCK_PRIVATE_UPSTREAMS`: apply the full SSRF rules to operator configuration (token upstreams, …) too. */
  readonly blockPrivateUpstreams!: boolean;
  readonly logFormat!: LogFormat;
  readonly logLevel!: LogLevel;
  /** One `request completed` line per request (method, path with tokens redacted, status, duration). */
  readonly accessLog!: boolean;
  /** Secret. */
  readonly metricsToken!: string | undefined;
  readonly shutdownGraceMs!: number;
  /** Per-attempt upstream timeout (non-streaming: whole response; streaming: until headers). */
  readonly upstreamTimeoutMs!: number;
  readonly upstreamConnectTimeoutMs!: number;
  /** Longest silence allowed between stream chunks. */
  readonly streamIdleTimeoutMs!: number;
  readonly enableTestHooks!: boolean;
  /** Spend (vault-and-spend.md §6): Redis unavailable during a reservation → `closed` (503 for capped tokens) or `open`. */
  readonly spendFailMode!: SpendFailMode;
  /** `AILINK_SPEND_RESERVATION_TTL_SECS`: reservations not refreshed by their request expire after this. */
  readonly spendReservationTtlSecs!: number;
  /** `AILINK_SPEND_DEFAULT_OUTPUT_TOKENS`: output estimate when the request sets no `max_tokens`. */
  readonly spendDefaultOutputTokens!: number;
  /** `AILINK_BUDGET_WARN_RATIO`: fraction of a cap that triggers `budget_warning`. */
  readonly budgetWarnRatio!: number;
  /** `AILINK_SPEND_FLUSH_MS`: how often spend counters are flushed from Redis to PostgreSQL. */
  readonly spendFlushMs!: number;
  /** `AILINK_DEFAULT_RPM`: implicit per-token limit (requests per `defaultRpmWindowSecs`); 0 disables it. */
  readonly defaultRpm!: number;
  /** `AILINK_DEFAULT_RPM_WINDOW`: window of the implicit per-token limit, in seconds. */
  readonly defaultRpmWindowSecs!: number;
  /** `AILINK_RATE_LIMIT_FAIL_MODE`: Redis unavailable during a rate-limit check → `closed` (503) or `open` (allow). */
  readonly rateLimitFailMode!: RateLimitFailMode;
  /** `AILINK_TRUSTED_PROXY_CIDRS`: peers whose `X-Forwarded-For` / `X-Real-IP` are trusted for `context.ip`. */
  readonly trustedProxyCidrs!: readonly string[];
  /** `AILINK_PORTAL_SESSION_TTL_SECS`: lifetime of a portal SSO session (identity.md §4). */
  readonly portalSessionTtlSecs!: number;
  /** `AILINK_CB_SHARED`: circuit-breaker state shared through Redis (proxy.md §13), else per instance. */
  readonly cbShared!: boolean;
  /** `AILINK_ROTATION_ENABLED`: run the scheduled credential DEK refresh (vault-and-spend.md §3). */
  readonly rotationEnabled!: boolean;
  /** `AILINK_ROTATION_CHECK_INTERVAL`: seconds between checks for credentials due for rotation. */
  readonly rotationCheckIntervalSecs!: number;
  /** `AILINK_HITL_MAX_WAIT_SECS`: longest a `wait`-mode approval holds a request (its timeout is clamped to this). */
  readonly hitlMaxWaitSecs!: number;
  /** `AILINK_HITL_MAX_PENDING_PER_TOKEN`: pending approvals a token may have at once (429 `approval_limit_reached` beyond). */
  readonly hitlMaxPendingPerToken!: number;
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
