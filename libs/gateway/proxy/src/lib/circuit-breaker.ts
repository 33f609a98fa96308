import type { CircuitBreakerConfig } from './proxy-context';

export type BreakerState = 'closed' | 'open' | 'half_open' | 'disabled';

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerConfig = {
  enabled: true,
  failure_threshold: 3,
  recovery_cooldown_secs: 30,
  half_open_max_requests: 1,
  min_sample_size: 10,
};

/** Whose breaker: a token id, or the token itself (its project and name then go into `circuit_opened`). */
export type BreakerSubject = string | { id: string; projectId?: string; name?: string };

/** A breaker opened (closed → open): the facts `circuit_opened` carries. */
export interface BreakerOpenedEvent {
  tokenId: string;
  projectId?: string;
  tokenName?: string;
  /** The normalised target base URL. */
  url: string;
  failureCount: number;
  cooldownSecs: number;
}

export type BreakerOpenedListener = (event: BreakerOpenedEvent) => void;

/** One (token, target) breaker as this instance keeps it. */
export interface LocalBreaker {
  tokenId: string;
  projectId?: string;
  tokenName?: string;
  url: string;
  state: 'closed' | 'open' | 'half_open';
  consecutiveFailures: number;
  openedAt: number;
  probes: number;
  /** Outcomes in the last 60 s for the failure-rate rule: [time, failed]. */
  window: [number, boolean][];
  /** The token's settings last seen, for reporting. */
  config: CircuitBreakerConfig;
}

export interface BreakerSnapshot {
  token_id: string;
  url: string;
  state: BreakerState;
  is_healthy: boolean;
  failure_count: number;
  cooldown_remaining_secs: number;
}

/** Attempt outcome as the breaker sees it (proxy.md §13). */
export type AttemptOutcome = 'success' | 'failure' | 'neutral';

export function outcomeOf(status: number | undefined): AttemptOutcome {
  if (status === undefined) return 'failure'; // connection error or timeout
  if (status === 502 || status === 503 || status === 504) return 'failure';
  if (status === 429 || status >= 500) return 'neutral';
  return 'success';
}

export function subjectId(subject: BreakerSubject): string {
  return typeof subject === 'string' ? subject : subject.id;
}

/**
 * Per-instance circuit breakers, one per (token id, normalised target base URL): closed → open after
 * `failure_threshold` consecutive failures (or a failure ratio over 60 s), open → half_open after the
 * cooldown, where at most `half_open_max_requests` probes are admitted; a probe success closes it.
 *
 * Every method is synchronous and touches only memory: the proxy calls them on its hot path. With
 * `AILINK_CB_SHARED=true` the gateway uses {@link SharedCircuitBreakers}, which keeps this class's
 * breakers as its fallback. `onOpened` (set once at boot) hears every closed → open transition, on a
 * later turn of the event loop.
 */
export class CircuitBreakers {
  protected readonly breakers = new Map<string, LocalBreaker>();
  onOpened?: BreakerOpenedListener;

  constructor(protected readonly now: () => number = Date.now) {}

  protected key(tokenId: string, url: string): string {
    return `${tokenId} ${url}`;
  }

  protected local(subject: BreakerSubject, url: string, config: CircuitBreakerConfig): LocalBreaker {
    const tokenId = subjectId(subject);
    const key = this.key(tokenId, url);
    let b = this.breakers.get(key);
    if (!b) {
      b = { tokenId, url, state: 'closed', consecutiveFailures: 0, openedAt: 0, probes: 0, window: [], config };
      this.breakers.set(key, b);
    }
    b.config = config;
    if (typeof subject !== 'string') {
      if (subject.projectId !== undefined) b.projectId = subject.projectId;
      if (subject.name !== undefined) b.tokenName = subject.name;
    }
    return b;
  }

  /** Current state without side effects (open becomes half_open once the cooldown elapsed). */
  state(tokenId: string, url: string, config: CircuitBreakerConfig): BreakerState {
    if (!config.enabled) return 'disabled';
    const b = this.breakers.get(this.key(tokenId, url));
    if (!b) return 'closed';
    if (b.state === 'open' && this.now() - b.openedAt >= config.recovery_cooldown_secs * 1000) return 'half_open';
    return b.state;
  }

  /** Whether a request may go to this target now; takes a probe slot when half-open. */
  acquire(tokenId: string, url: string, config: CircuitBreakerConfig): { allowed: boolean; state: BreakerState; probe: boolean } {
    const state = this.state(tokenId, url, config);
    if (state === 'disabled' || state === 'closed') return { allowed: true, state, probe: false };
    const b = this.local(tokenId, url, config);
    if (state === 'open') return { allowed: false, state, probe: false };
    if (b.state === 'open') {
      b.state = 'half_open';
      b.probes = 0;
    }
    if (b.probes >= config.half_open_max_requests) return { allowed: false, state: 'open', probe: false };
    b.probes += 1;
    return { allowed: true, state: 'half_open', probe: true };
  }

  /** Gives back a probe slot that was never used (e.g. the request was refused before sending). */
  release(tokenId: string, url: string): void {
    const b = this.breakers.get(this.key(tokenId, url));
    if (b && b.state === 'half_open' && b.probes > 0) b.probes -= 1;
  }

  /** Records an attempt's outcome; returns the new state. */
  record(subject: BreakerSubject, url: string, config: CircuitBreakerConfig, outcome: AttemptOutcome, probe: boolean): BreakerState {
    if (!config.enabled) return 'disabled';
    const tokenId = subjectId(subject);
    const b = this.local(subject, url, config);
    const now = this.now();
    if (probe) b.probes = Math.max(0, b.probes - 1);
    if (outcome === 'neutral') return this.state(tokenId, url, config);
    b.window.push([now, outcome === 'failure']);
    while (b.window.length && now - b.window[0][0] > 60_000) b.window.shift();
    if (outcome === 'success') {
      if (b.state === 'half_open' || b.state === 'closed') {
        b.state = 'closed';
        b.consecutiveFailures = 0;
      }
      return b.state;
    }
    b.consecutiveFailures += 1;
    const failures = b.window.filter(([, failed]) => failed).length;
    const rateTripped =
      config.failure_rate_threshold !== undefined &&
      b.window.length >= config.min_sample_size &&
      failures / b.window.length >= config.failure_rate_threshold;
    if (b.state === 'half_open' || b.consecutiveFailures >= config.failure_threshold || rateTripped) {
      const wasClosed = b.state === 'closed';
      b.state = 'open';
      b.openedAt = now;
      b.probes = 0;
      if (wasClosed) this.localOpened(b);
    }
    return b.state;
  }

  cooldownRemainingSecs(tokenId: string, url: string, config: CircuitBreakerConfig): number {
    const b = this.breakers.get(this.key(tokenId, url));
    if (!b || b.state !== 'open') return 0;
    return Math.max(0, Math.ceil((b.openedAt + config.recovery_cooldown_secs * 1000 - this.now()) / 1000));
  }

  /** For `GET /health/upstreams` (this instance's view). */
  snapshot(tokenIds?: ReadonlySet<string>): BreakerSnapshot[] {
    const out: BreakerSnapshot[] = [];
    for (const b of this.breakers.values()) {
      if (tokenIds && !tokenIds.has(b.tokenId)) continue;
      out.push(this.describe(b.tokenId, b.url, b.config, b.consecutiveFailures));
    }
    return out;
  }

  /** Starts background work, if any (the shared breakers' refresh). */
  start(): void {
    // The per-instance breakers have none.
  }

  /** Stops background work. Idempotent. */
  async close(): Promise<void> {
    // The per-instance breakers have none.
  }

  protected describe(tokenId: string, url: string, config: CircuitBreakerConfig, failureCount: number): BreakerSnapshot {
    const state = this.state(tokenId, url, config);
    return {
      token_id: tokenId,
      url,
      state,
      is_healthy: state === 'closed' || state === 'disabled',
      failure_count: failureCount,
      cooldown_remaining_secs: this.cooldownRemainingSecs(tokenId, url, config),
    };
  }

  /** A local breaker opened from closed. */
  protected localOpened(b: LocalBreaker): void {
    this.notifyOpened({
      tokenId: b.tokenId,
      projectId: b.projectId,
      tokenName: b.tokenName,
      url: b.url,
      failureCount: b.consecutiveFailures,
      cooldownSecs: b.config.recovery_cooldown_secs,
    });
  }

  /** Tells `onOpened` off the caller's stack (the hot path never waits for it, nor sees it fail). */
  protected notifyOpened(event: BreakerOpenedEvent): void {
    const listener = this.onOpened;
    if (!listener) return;
    setImmediate(() => {
      try {
        listener(event);
      } catch {
        // The listener owns its error handling (the event bus logs); never the request's concern.
      }
    });
  }
}
