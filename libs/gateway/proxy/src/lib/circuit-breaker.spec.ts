import { CircuitBreakers, DEFAULT_CIRCUIT_BREAKER, outcomeOf } from './circuit-breaker';

describe('CircuitBreakers (proxy.md §13)', () => {
  let now = 0;
  const cb = { ...DEFAULT_CIRCUIT_BREAKER, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1 };
  const make = () => new CircuitBreakers(() => now);

  beforeEach(() => (now = 1_000_000));

  it('classifies outcomes: 502/503/504 and transport errors fail, 429 and other 5xx are neutral', () => {
    expect(outcomeOf(undefined)).toBe('failure');
    for (const s of [502, 503, 504]) expect(outcomeOf(s)).toBe('failure');
    for (const s of [429, 500, 501]) expect(outcomeOf(s)).toBe('neutral');
    for (const s of [200, 201, 400, 404]) expect(outcomeOf(s)).toBe('success');
  });

  it('opens after failure_threshold consecutive failures and fails fast while open', () => {
    const b = make();
    b.record('t', 'u', cb, 'failure', false);
    b.record('t', 'u', cb, 'failure', false);
    expect(b.state('t', 'u', cb)).toBe('closed');
    expect(b.record('t', 'u', cb, 'failure', false)).toBe('open');
    expect(b.acquire('t', 'u', cb).allowed).toBe(false);
    expect(b.cooldownRemainingSecs('t', 'u', cb)).toBe(30);
  });

  it('a success resets the consecutive count', () => {
    const b = make();
    b.record('t', 'u', cb, 'failure', false);
    b.record('t', 'u', cb, 'failure', false);
    b.record('t', 'u', cb, 'success', false);
    b.record('t', 'u', cb, 'failure', false);
    expect(b.state('t', 'u', cb)).toBe('closed');
  });

  it('admits half_open_max_requests probes after the cooldown; a probe success closes it', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.record('t', 'u', cb, 'failure', false);
    now += 30_000;
    expect(b.state('t', 'u', cb)).toBe('half_open');
    const probe = b.acquire('t', 'u', cb);
    expect(probe).toEqual({ allowed: true, state: 'half_open', probe: true });
    expect(b.acquire('t', 'u', cb).allowed).toBe(false);
    expect(b.record('t', 'u', cb, 'success', true)).toBe('closed');
    expect(b.acquire('t', 'u', cb).allowed).toBe(true);
  });

  it('a probe failure reopens it and restarts the cooldown', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.record('t', 'u', cb, 'failure', false);
    now += 31_000;
    b.acquire('t', 'u', cb);
    expect(b.record('t', 'u', cb, 'failure', true)).toBe('open');
    expect(b.cooldownRemainingSecs('t', 'u', cb)).toBe(30);
  });

  it('trips on the failure rate when configured', () => {
    const b = make();
    const rate = { ...cb, failure_threshold: 100, failure_rate_threshold: 0.5, min_sample_size: 4 };
    b.record('t', 'u', rate, 'success', false);
    b.record('t', 'u', rate, 'failure', false);
    b.record('t', 'u', rate, 'success', false);
    expect(b.record('t', 'u', rate, 'failure', false)).toBe('open');
  });

  it('is disabled when enabled=false, and keeps breakers per token and URL', () => {
    const b = make();
    expect(b.acquire('t', 'u', { ...cb, enabled: false }).state).toBe('disabled');
    for (let i = 0; i < 3; i++) b.record('t1', 'u', cb, 'failure', false);
    expect(b.state('t1', 'u', cb)).toBe('open');
    expect(b.state('t2', 'u', cb)).toBe('closed');
    expect(b.snapshot().map((s) => [s.token_id, s.state, s.is_healthy])).toEqual([['t1', 'open', false]]);
  });
});
