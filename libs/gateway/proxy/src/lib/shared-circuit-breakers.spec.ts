import { createHash } from 'node:crypto';
import { MemoryKeyValueStore } from '@ailink/gateway-redis';
import { DEFAULT_CIRCUIT_BREAKER, type BreakerOpenedEvent } from './circuit-breaker';
import type { CircuitBreakerConfig } from './proxy-context';
import { SharedCircuitBreakers, sharedBreakerKey } from './shared-circuit-breakers';

const TOKEN = { id: 'tok_' + 'a'.repeat(24), projectId: '00000000-0000-0000-0000-000000000001', name: 'agent' };
const URL_A = 'https://api.example.com/v1';
const cb: CircuitBreakerConfig = {
  ...DEFAULT_CIRCUIT_BREAKER,
  failure_threshold: 3,
  recovery_cooldown_secs: 30,
  half_open_max_requests: 1,
};

const tick = () => new Promise((resolve) => setImmediate(resolve));
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}

describe('SharedCircuitBreakers (proxy.md §13 "Sharing") on the in-process store', () => {
  let now: number;
  let store: MemoryKeyValueStore;
  let opened: BreakerOpenedEvent[];
  let instances: SharedCircuitBreakers[];

  /** One gateway instance: its own copies and local breakers, the shared store. */
  function instance(): SharedCircuitBreakers {
    const breakers = new SharedCircuitBreakers({ store, now: () => now, refreshMs: 60_000 });
    breakers.onOpened = (e) => opened.push(e);
    instances.push(breakers);
    return breakers;
  }

  /** An instance that has looked at the breaker and read the shared state. */
  async function seen(b: SharedCircuitBreakers): Promise<void> {
    b.state(TOKEN.id, URL_A, cb);
    await b.syncNow();
  }

  async function fail(b: SharedCircuitBreakers, n: number, config = cb): Promise<string> {
    let state = '';
    for (let i = 0; i < n; i++) state = b.record(TOKEN, URL_A, config, 'failure', false);
    await settle();
    return state;
  }

  beforeEach(() => {
    now = 1_000_000;
    store = new MemoryKeyValueStore(() => now);
    opened = [];
    instances = [];
  });

  afterEach(async () => {
    for (const b of instances) await b.close();
    await store.close();
  });

  it('keys the shared state as ailink:cb:{token}:{sha1(url)}', () => {
    expect(sharedBreakerKey('tok_x', 'https://a')).toBe('ailink:cb:tok_x:' + createHash('sha1').update('https://a').digest('hex'));
    expect(sharedBreakerKey('tok_x', 'https://a')).not.toBe(sharedBreakerKey('tok_x', 'https://b'));
  });

  it('on one instance behaves like the per-instance breaker: opens at the threshold at once, fails fast, reports the cooldown', async () => {
    const a = instance();
    expect(a.state(TOKEN.id, URL_A, cb)).toBe('closed');
    expect(a.record(TOKEN, URL_A, cb, 'failure', false)).toBe('closed');
    expect(a.record(TOKEN, URL_A, cb, 'failure', false)).toBe('closed');
    // The third failure opens it on this instance before the store has answered.
    expect(a.record(TOKEN, URL_A, cb, 'failure', false)).toBe('open');
    await settle();
    expect(a.state(TOKEN.id, URL_A, cb)).toBe('open');
    expect(a.acquire(TOKEN.id, URL_A, cb)).toEqual({ allowed: false, state: 'open', probe: false });
    expect(a.cooldownRemainingSecs(TOKEN.id, URL_A, cb)).toBe(30);
    expect((await store.breakerRead([sharedBreakerKey(TOKEN.id, URL_A)], 'x'))[0]).toMatchObject({ state: 'open', failures: 3 });
    expect(opened).toEqual([
      { tokenId: TOKEN.id, projectId: TOKEN.projectId, tokenName: 'agent', url: URL_A, failureCount: 3, cooldownSecs: 30 },
    ]);
    expect(a.snapshot()).toEqual([
      { token_id: TOKEN.id, url: URL_A, state: 'open', is_healthy: false, failure_count: 3, cooldown_remaining_secs: 30 },
    ]);
  });

  it("shares the state: another instance's failures count, and the opening is seen (and reported) once", async () => {
    const a = instance();
    const b = instance();
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('closed');
    await fail(a, 2);
    await fail(b, 1);
    await a.syncNow();
    await b.syncNow();
    expect(a.state(TOKEN.id, URL_A, cb)).toBe('open');
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('open');
    expect(a.acquire(TOKEN.id, URL_A, cb).allowed).toBe(false);
    expect(b.acquire(TOKEN.id, URL_A, cb).allowed).toBe(false);
    expect(opened).toHaveLength(1);
    expect(opened[0].failureCount).toBe(3);
  });

  it('admits one probe across instances after the cooldown; its success closes the breaker everywhere', async () => {
    const a = instance();
    const b = instance();
    await fail(a, 3);
    await seen(b);
    now += 30_000;
    await a.syncNow();
    await b.syncNow();
    expect(a.state(TOKEN.id, URL_A, cb)).toBe('half_open');
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('half_open');
    const probe = a.acquire(TOKEN.id, URL_A, cb);
    expect(probe).toEqual({ allowed: true, state: 'half_open', probe: true });
    // This instance's limit: half_open_max_requests concurrent probes.
    expect(a.acquire(TOKEN.id, URL_A, cb).allowed).toBe(false);
    await a.syncNow();
    await b.syncNow();
    // The other instance sees the lease held and fails fast.
    expect(b.acquire(TOKEN.id, URL_A, cb)).toEqual({ allowed: false, state: 'open', probe: false });
    expect(a.record(TOKEN, URL_A, cb, 'success', true)).toBe('closed');
    await a.syncNow();
    await b.syncNow();
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('closed');
    expect(b.acquire(TOKEN.id, URL_A, cb)).toEqual({ allowed: true, state: 'closed', probe: false });
    expect((await store.breakerRead([sharedBreakerKey(TOKEN.id, URL_A)], 'x'))[0]).toEqual({
      state: 'closed',
      failures: 0,
      openForMs: 0,
      leaseMs: 0,
      otherLeaseMs: 0,
    });
  });

  it('a probe failure reopens it for everyone and restarts the cooldown, without a second circuit_opened', async () => {
    const a = instance();
    const b = instance();
    await fail(a, 3);
    now += 31_000;
    await a.syncNow();
    expect(a.acquire(TOKEN.id, URL_A, cb).probe).toBe(true);
    expect(a.record(TOKEN, URL_A, cb, 'failure', true)).toBe('open');
    await a.syncNow();
    await seen(b);
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('open');
    expect(b.cooldownRemainingSecs(TOKEN.id, URL_A, cb)).toBe(30);
    expect(opened).toHaveLength(1);
  });

  it('gives the lease back when the probe was not sent or ended neutral, so another instance can probe', async () => {
    const a = instance();
    const b = instance();
    await fail(a, 3);
    now += 30_000;
    await a.syncNow();
    expect(a.acquire(TOKEN.id, URL_A, cb).probe).toBe(true);
    await a.syncNow();
    await seen(b);
    expect(b.acquire(TOKEN.id, URL_A, cb).allowed).toBe(false);
    a.release(TOKEN.id, URL_A);
    await a.syncNow();
    await b.syncNow();
    expect(b.acquire(TOKEN.id, URL_A, cb).probe).toBe(true);
    await b.syncNow();
    await a.syncNow();
    expect(a.acquire(TOKEN.id, URL_A, cb).allowed).toBe(false);
    // A 429 is neutral: no verdict, the lease goes back.
    expect(b.record(TOKEN, URL_A, cb, 'neutral', true)).toBe('half_open');
    await b.syncNow();
    await a.syncNow();
    expect(a.acquire(TOKEN.id, URL_A, cb).probe).toBe(true);
  });

  it('trusts a copy for at most maxAgeMs: an unrefreshed copy gives way to the local breaker and a read', async () => {
    const a = instance();
    const b = instance();
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('closed');
    await settle();
    await fail(a, 3);
    // b's copy is still fresh (closed); 1 s later it is not, and b reads the shared state again.
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('closed');
    now += 1_001;
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('closed'); // its own breaker: it saw no failure
    await settle();
    expect(b.state(TOKEN.id, URL_A, cb)).toBe('open');
  });

  it('opens on the shared failure rate', async () => {
    const rate = { ...cb, failure_threshold: 100, failure_rate_threshold: 0.5, min_sample_size: 4 };
    const a = instance();
    const b = instance();
    a.record(TOKEN, URL_A, rate, 'success', false);
    b.record(TOKEN, URL_A, rate, 'failure', false);
    a.record(TOKEN, URL_A, rate, 'success', false);
    b.record(TOKEN, URL_A, rate, 'failure', false);
    await a.syncNow();
    await b.syncNow();
    await a.syncNow();
    // Neither instance saw more than two consecutive failures, nor half of four attempts, on its own.
    expect(a.state(TOKEN.id, URL_A, rate)).toBe('open');
    expect(b.state(TOKEN.id, URL_A, rate)).toBe('open');
    await settle();
    expect(opened).toHaveLength(1);
  });

  it('ignores disabled breakers entirely', async () => {
    const a = instance();
    const off = { ...cb, enabled: false };
    expect(a.record(TOKEN, URL_A, off, 'failure', false)).toBe('disabled');
    expect(a.acquire(TOKEN.id, URL_A, off)).toEqual({ allowed: true, state: 'disabled', probe: false });
    await a.syncNow();
    expect((await store.breakerRead([sharedBreakerKey(TOKEN.id, URL_A)], 'x'))[0].failures).toBe(0);
    expect(a.snapshot()).toEqual([]);
  });
});
