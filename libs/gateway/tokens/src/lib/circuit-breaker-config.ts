import { CIRCUIT_BREAKER_DEFAULTS, type CircuitBreakerConfig, type ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { CircuitBreakerConfig as EffectiveCircuitBreaker } from '@ailink/gateway-proxy';

/** `min_sample_size` when the failure-rate rule is on and none is stored (proxy.md §13). */
export const DEFAULT_MIN_SAMPLE_SIZE = 10;

type Key =
  | 'enabled'
  | 'failure_threshold'
  | 'recovery_cooldown_secs'
  | 'half_open_max_requests'
  | 'failure_rate_threshold'
  | 'min_sample_size';

/** snake_case keys and their accepted camelCase aliases; every other key is ignored. */
const KEYS: readonly (readonly [Key, string])[] = [
  ['enabled', 'enabled'],
  ['failure_threshold', 'failureThreshold'],
  ['recovery_cooldown_secs', 'recoveryCooldownSecs'],
  ['half_open_max_requests', 'halfOpenMaxRequests'],
  ['failure_rate_threshold', 'failureRateThreshold'],
  ['min_sample_size', 'minSampleSize'],
];

const POSITIVE_INTEGERS: readonly Key[] = ['failure_threshold', 'recovery_cooldown_secs', 'half_open_max_requests', 'min_sample_size'];

/** The stored config's canonical form: the four core keys always, the rate keys only when set. */
function canonical(config: CircuitBreakerConfig): CircuitBreakerConfig {
  const out: CircuitBreakerConfig = {
    enabled: config.enabled,
    failure_threshold: config.failure_threshold,
    recovery_cooldown_secs: config.recovery_cooldown_secs,
    half_open_max_requests: config.half_open_max_requests,
  };
  if (typeof config.failure_rate_threshold === 'number') out.failure_rate_threshold = config.failure_rate_threshold;
  if (typeof config.min_sample_size === 'number') out.min_sample_size = config.min_sample_size;
  return out;
}

/** The config to report when none is stored (`GET /tokens/{id}/circuit-breaker`). */
export function defaultCircuitBreaker(): CircuitBreakerConfig {
  return canonical(CIRCUIT_BREAKER_DEFAULTS);
}

/**
 * Applies a circuit-breaker config object (snake_case keys or their camelCase aliases; snake_case
 * wins when both are given; other keys ignored) on top of `base` (the stored config, else the
 * defaults). An explicit null for `failure_rate_threshold`/`min_sample_size` removes it.
 * Throws 422 `invalid_config` listing every problem: the three integers (and `min_sample_size`)
 * must be integers ≥ 1, `failure_rate_threshold` a number in (0, 1], `enabled` a boolean.
 */
export function applyCircuitBreakerConfig(input: unknown, base?: CircuitBreakerConfig | null, path = '$'): CircuitBreakerConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new GatewayError(ErrorCode.InvalidConfig, 'The circuit-breaker config must be a JSON object', {
      details: { errors: [{ path, message: 'must be an object' }] },
    });
  }
  const source = input as Record<string, unknown>;
  const result: CircuitBreakerConfig = { ...(base ? canonical(base) : defaultCircuitBreaker()) };
  const problems: ValidationProblem[] = [];
  for (const [key, alias] of KEYS) {
    const present = key in source ? key : alias in source ? alias : undefined;
    if (present === undefined) continue;
    const value = source[present];
    const at = `${path}.${present}`;
    if (key === 'enabled') {
      if (typeof value === 'boolean') result.enabled = value;
      else problems.push({ path: at, message: 'must be a boolean' });
    } else if (value === null && (key === 'failure_rate_threshold' || key === 'min_sample_size')) {
      delete result[key];
    } else if (key === 'failure_rate_threshold') {
      if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 1) result.failure_rate_threshold = value;
      else problems.push({ path: at, message: 'must be a number greater than 0 and at most 1' });
    } else if (POSITIVE_INTEGERS.includes(key)) {
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) result[key as 'failure_threshold'] = value;
      else problems.push({ path: at, message: 'must be an integer ≥ 1' });
    }
  }
  if (problems.length > 0) {
    throw new GatewayError(
      ErrorCode.InvalidConfig,
      `Invalid circuit-breaker config: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      {
        details: { errors: problems },
      },
    );
  }
  return canonical(result);
}

/** Reads a stored config leniently (defaults for anything missing or malformed) for the proxy. */
export function effectiveCircuitBreaker(stored: CircuitBreakerConfig | null | undefined): EffectiveCircuitBreaker {
  const pick = (value: unknown, fallback: number): number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : fallback;
  const out: EffectiveCircuitBreaker = {
    enabled: typeof stored?.enabled === 'boolean' ? stored.enabled : CIRCUIT_BREAKER_DEFAULTS.enabled,
    failure_threshold: pick(stored?.failure_threshold, CIRCUIT_BREAKER_DEFAULTS.failure_threshold),
    recovery_cooldown_secs: pick(stored?.recovery_cooldown_secs, CIRCUIT_BREAKER_DEFAULTS.recovery_cooldown_secs),
    half_open_max_requests: pick(stored?.half_open_max_requests, CIRCUIT_BREAKER_DEFAULTS.half_open_max_requests),
    min_sample_size: pick(stored?.min_sample_size, DEFAULT_MIN_SAMPLE_SIZE),
  };
  const rate = stored?.failure_rate_threshold;
  if (typeof rate === 'number' && rate > 0 && rate <= 1) out.failure_rate_threshold = rate;
  return out;
}
