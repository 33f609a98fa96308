import { DEFAULT_RETRY, backoffMs, defaultRetryApplies } from './retry-policy';

describe('retry policy (proxy.md §12)', () => {
  it.each([
    ['GET', '/v1/models', {}, true],
    ['DELETE', '/x', {}, true],
    ['POST', '/v1/chat/completions', {}, true],
    ['POST', '/v1/embeddings', {}, true],
    ['POST', '/v1/files', {}, false],
    ['PATCH', '/v1/things/1', {}, false],
    ['POST', '/v1/files', { 'idempotency-key': 'k' }, true],
    ['PUT', '/x', { 'x-idempotency-key': 'k' }, true],
  ])('%s %s %j → %s', (method, path, headers, expected) => {
    expect(defaultRetryApplies(method, path, headers)).toBe(expected);
  });

  it('backs off exponentially with bounded jitter, capped', () => {
    expect(backoffMs(DEFAULT_RETRY, 1, undefined, () => 0)).toBe(500);
    expect(backoffMs(DEFAULT_RETRY, 2, undefined, () => 0)).toBe(1000);
    expect(backoffMs(DEFAULT_RETRY, 3, undefined, () => 0.999)).toBe(2000 + 200);
    expect(backoffMs(DEFAULT_RETRY, 10, undefined, () => 0)).toBe(10000);
  });

  it('honours a numeric Retry-After, capped at max_backoff_ms', () => {
    expect(backoffMs(DEFAULT_RETRY, 1, '2')).toBe(2000);
    expect(backoffMs(DEFAULT_RETRY, 1, '120')).toBe(10000);
  });
});
