import { ERROR_MAP } from '@ailink/gateway-core';
import { counterRef } from './spend-keys';
import { remainingHeader, remainingValue, spendCapReached } from './spend.stage';

describe('spend stage helpers', () => {
  const at = new Date('2026-11-25T10:00:00Z');

  it('names the remaining-budget headers of the spec', () => {
    expect(remainingHeader({ scope: 'token', period: 'daily' })).toBe('x-ailink-budget-remaining-daily');
    expect(remainingHeader({ scope: 'token', period: 'lifetime' })).toBe('x-ailink-budget-remaining-lifetime');
    expect(remainingHeader({ scope: 'project', period: 'weekly' })).toBe('x-ailink-budget-remaining-project');
    expect(remainingHeader({ scope: 'team', period: 'monthly' })).toBe('x-ailink-budget-remaining-team');
    expect(remainingHeader({ scope: 'session', period: 'lifetime' })).toBeNull();
  });

  it('reports remaining USD with 4 decimals, rounded down, never negative', () => {
    expect(remainingValue(10_500)).toBe('0.0105');
    expect(remainingValue(10_599)).toBe('0.0105');
    expect(remainingValue(4_999_999_000)).toBe('4999.9990');
    expect(remainingValue(-5)).toBe('0.0000');
  });

  it('builds the 402 spend_cap_reached error with the documented details', () => {
    const cap = {
      counter: counterRef('token', 'tok_x', 'daily', at),
      limitMicros: 5_000_000,
      scope: 'token' as const,
      period: 'daily' as const,
    };
    const error = spendCapReached(cap, 4_990_000, 20_000);
    expect(ERROR_MAP[error.code]).toEqual({ status: 402, type: 'billing_error' });
    expect(error.message).toBe('Daily spend cap of $5.00 reached');
    expect(error.details).toEqual({ scope: 'token', period: 'daily', limit_usd: 5, current_usd: 4.99, reserved_usd: 0.02 });
    const missing = spendCapReached(cap, 0, 0, 'pricing_missing');
    expect(missing.details).toMatchObject({ reason: 'pricing_missing', scope: 'token', period: 'daily' });
  });
});
