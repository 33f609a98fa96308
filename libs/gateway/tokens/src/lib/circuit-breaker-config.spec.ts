import { GatewayError } from '@ailink/gateway-core';
import { applyCircuitBreakerConfig, defaultCircuitBreaker, effectiveCircuitBreaker } from './circuit-breaker-config';

function invalid(input: unknown): GatewayError {
  try {
    applyCircuitBreakerConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected invalid_config');
}

describe('circuit-breaker config', () => {
  it('reports the documented defaults when nothing is stored', () => {
    expect(defaultCircuitBreaker()).toEqual({ enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1 });
  });

  it('fills missing keys with defaults and ignores unknown keys', () => {
    expect(applyCircuitBreakerConfig({ failure_threshold: 5, color: 'blue' })).toEqual({
      enabled: true,
      failure_threshold: 5,
      recovery_cooldown_secs: 30,
      half_open_max_requests: 1,
    });
  });

  it('accepts camelCase aliases; snake_case wins when both are given', () => {
    expect(
      applyCircuitBreakerConfig({
        enabled: false,
        failureThreshold: 7,
        recoveryCooldownSecs: 12,
        halfOpenMaxRequests: 2,
        failureRateThreshold: 0.5,
        minSampleSize: 20,
      }),
    ).toEqual({
      enabled: false,
      failure_threshold: 7,
      recovery_cooldown_secs: 12,
      half_open_max_requests: 2,
      failure_rate_threshold: 0.5,
      min_sample_size: 20,
    });
    expect(applyCircuitBreakerConfig({ failure_threshold: 4, failureThreshold: 9 }).failure_threshold).toBe(4);
  });

  it('merges into the stored config and clears the rate keys with null', () => {
    const stored = applyCircuitBreakerConfig({ failure_threshold: 8, failure_rate_threshold: 0.25, min_sample_size: 30 });
    expect(applyCircuitBreakerConfig({ recovery_cooldown_secs: 60 }, stored)).toEqual({ ...stored, recovery_cooldown_secs: 60 });
    expect(applyCircuitBreakerConfig({ failure_rate_threshold: null, minSampleSize: null }, stored)).toEqual({
      enabled: true,
      failure_threshold: 8,
      recovery_cooldown_secs: 30,
      half_open_max_requests: 1,
    });
  });

  it.each([
    [{ failure_threshold: 0 }, '$.failure_threshold'],
    [{ recovery_cooldown_secs: -1 }, '$.recovery_cooldown_secs'],
    [{ halfOpenMaxRequests: 0 }, '$.halfOpenMaxRequests'],
    [{ failure_threshold: 1.5 }, '$.failure_threshold'],
    [{ failure_threshold: '3' }, '$.failure_threshold'],
    [{ failure_threshold: null }, '$.failure_threshold'],
    [{ failure_rate_threshold: 0 }, '$.failure_rate_threshold'],
    [{ failure_rate_threshold: 1.01 }, '$.failure_rate_threshold'],
    [{ min_sample_size: 0 }, '$.min_sample_size'],
    [{ enabled: 'yes' }, '$.enabled'],
  ])('refuses %j with 422 invalid_config at %s', (input, path) => {
    const error = invalid(input);
    expect(error.code).toBe('invalid_config');
    expect(error.details?.['errors']).toEqual([{ path, message: expect.any(String) }]);
  });

  it('accepts the boundaries: integers of 1, a rate of exactly 1', () => {
    expect(
      applyCircuitBreakerConfig({ failure_threshold: 1, recovery_cooldown_secs: 1, half_open_max_requests: 1, failure_rate_threshold: 1 }),
    ).toMatchObject({
      failure_rate_threshold: 1,
    });
  });

  it('lists every problem at once and refuses non-objects', () => {
    const error = invalid({ failure_threshold: 0, recovery_cooldown_secs: 0, half_open_max_requests: 0 });
    expect((error.details?.['errors'] as unknown[]).length).toBe(3);
    expect(invalid([1, 2]).code).toBe('invalid_config');
    expect(invalid('x').code).toBe('invalid_config');
  });

  it('gives the proxy a complete config with defaults (min_sample_size 10)', () => {
    expect(effectiveCircuitBreaker(null)).toEqual({
      enabled: true,
      failure_threshold: 3,
      recovery_cooldown_secs: 30,
      half_open_max_requests: 1,
      min_sample_size: 10,
    });
    expect(
      effectiveCircuitBreaker({
        enabled: false,
        failure_threshold: 9,
        recovery_cooldown_secs: 5,
        half_open_max_requests: 2,
        failure_rate_threshold: 0.5,
      }),
    ).toEqual({
      enabled: false,
      failure_threshold: 9,
      recovery_cooldown_secs: 5,
      half_open_max_requests: 2,
      failure_rate_threshold: 0.5,
      min_sample_size: 10,
    });
  });
});
