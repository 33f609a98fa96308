import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { randomHex } from '@ailink/gateway-core';
import type { BreakerOutcome, BreakerSettings, KeyValueStore, SharedBreakerStatus } from '@ailink/gateway-redis';
import {
  CircuitBreakers,
  subjectId,
  type AttemptOutcome,
  type BreakerSnapshot,
  type BreakerState,
  type BreakerSubject,
  type LocalBreaker,
} from './circuit-breaker';
import type { CircuitBreakerConfig } from './proxy-context';

export interface SharedCircuitBreakersOptions {
  /** Redis (external mode) or the in-process store (embedded mode: one instance). */
  store: KeyValueStore;
  now?: () => number;
  /** Oldest shared state the hot path trusts; older → this instance's own breaker (proxy.md §13: ≤ 1 s). */
  maxAgeMs?: number;
  /** How often the shared state of recently used breakers is re-read. */
  refreshMs?: number;
  /** A probe lease lasts this long without an outcome; at least the upstream timeout. */
  leaseMs?: number;
  /** Breakers used within this long are kept fresh; idle ones are re-read on their next use. */
  activeMs?: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** The shared state of one breaker as this instance last saw it, plus what it has not been told yet. */
interface View {
  /** `ailink:cb:{token}:{sha1(url)}`. */
  redisKey: string;
  tokenId: string;
  url: string;
  projectId?: string;
  tokenName?: string;
  config: CircuitBreakerConfig;
  /** Local time of the last authoritative answer; 0 = never (or invalidated). */
  fetchedAt: number;
  /** Sequence number of that answer: a late, older answer is ignored. */
  appliedSeq: number;
  state: 'closed' | 'open';
  failures: number;
  /** Local time the breaker opened. */
  openedAt: number;
  /** This instance's probe lease ends (local time); 0 = none. */
  leaseUntil: number;
  /** Another instance's probe lease ends; 0 = none. */
  otherLeaseUntil: number;
  /** Probes this instance admitted under the shared state and has not recorded yet. */
  probes: number;
  lastUsed: number;
  /** Outcomes not sent yet. */
  queue: BreakerOutcome[];
  /** Outcomes sent and not answered yet, by request sequence number. */
  sent: { seq: number; outcomes: BreakerOutcome[] }[];
  /** A lease claim (or a release) to send; its sequence number once sent. */
  claim: boolean;
  release: boolean;
  claimSeq: number;
  /** A read is wanted / in flight. */
  needsRead: boolean;
  reading: boolean;
  /**
   * The local breaker opened while the store was answering: the store reports the opening, unless
   * it fails before it answered; then this instance reports it.
   */
  localOpening?: { afterSeq: number; breaker: LocalBreaker };
}

const DEFAULTS = { maxAgeMs: 1_000, refreshMs: 250, leaseMs: 65_000, activeMs: 60_000 };
/** Views idle this long are dropped (they are rebuilt, from Redis, on their next use). */
const EVICT_MS = 10 * 60_000;
/** Breakers per read script call. */
const READ_CHUNK = 500;

/** `ailink:cb:{token}:{sha1(url)}` (data-model.md, Redis keyspace). */
export function sharedBreakerKey(tokenId: string, url: string): string {
  return `ailink:cb:${tokenId}:${createHash('sha1').update(url, 'utf8').digest('hex')}`;
}

function cooldownMs(config: CircuitBreakerConfig): number {
  return Math.max(1, Math.round(config.recovery_cooldown_secs * 1000));
}

function settingsOf(config: CircuitBreakerConfig): BreakerSettings {
  return {
    failureThreshold: Math.max(1, Math.floor(config.failure_threshold)),
    cooldownMs: cooldownMs(config),
    failureRateThreshold: config.failure_rate_threshold,
    minSampleSize: Math.max(1, Math.floor(config.min_sample_size)),
  };
}

/**
 * Circuit breakers shared by every gateway instance through the key/value store (proxy.md §13
 * "Sharing", `AILINK_CB_SHARED=true`), with the proxy's hot path kept free of round trips:
 *
 * - Reads (`state`, `acquire`, `cooldownRemainingSecs`) use this instance's copy of the shared state,
 *   never older than `maxAgeMs` (1 s); the copies of breakers used in the last minute are re-read in
 *   the background every `refreshMs` (one script call for all of them), so an opening or a recovery
 *   on any instance is seen everywhere within about that long.
 * - Writes (`record`, probe leases) apply at once to the local copy (so this instance acts on its
 *   own outcomes immediately) and go to the store on the next turn of the event loop, batched per
 *   breaker, as atomic script calls; the store's answer replaces the copy. A success on a closed
 *   breaker without failures (the steady state) is not sent at all, unless a failure-rate window
 *   needs the attempt count.
 * - A breaker this instance has not looked at yet (or not for a while) has no copy: its first
 *   request uses the local breaker while the shared state is read, at once, in the background.
 * - Half-open probes need the breaker's probe lease, which one instance at a time holds: the holder
 *   admits at most `half_open_max_requests` concurrent probes, the others fail fast as open. An
 *   instance that sees no live lease takes it optimistically and claims it in the background.
 * - `circuit_opened` comes from the one script call that opened the breaker (exactly once across
 *   instances).
 * - When the store fails, every copy is dropped and this instance falls back to its own in-memory
 *   breakers (kept up to date all along, and aligned with the shared state whenever it was read)
 *   until the store answers again; the local breakers then also report openings.
 */
export class SharedCircuitBreakers extends CircuitBreakers {
  /** Identifies this instance as a lease holder. */
  readonly holder = `${process.pid}:${randomHex(8)}`;
  private readonly store: KeyValueStore;
  private readonly maxAgeMs: number;
  private readonly refreshMs: number;
  private readonly leaseMs: number;
  private readonly activeMs: number;
  private readonly logger?: Pick<Logger, 'info' | 'warn'>;
  private readonly views = new Map<string, View>();
  private readonly dirty = new Set<View>();
  private readonly inflight = new Set<Promise<void>>();
  private flushScheduled = false;
  private seq = 0;
  private healthy = true;
  private reading = false;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(options: SharedCircuitBreakersOptions) {
    super(options.now ?? Date.now);
    this.store = options.store;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULTS.maxAgeMs;
    this.refreshMs = options.refreshMs ?? DEFAULTS.refreshMs;
    this.leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
    this.activeMs = options.activeMs ?? DEFAULTS.activeMs;
    this.logger = options.logger;
  }

  /** False while the store is failing (this instance then uses its own breakers). */
  get usingSharedState(): boolean {
    return this.healthy;
  }

  /**
   * Sends whatever is queued, waits for every answer, then re-reads every breaker this instance
   * knows. For tests and diagnostics; the hot path never calls it.
   */
  async syncNow(): Promise<void> {
    if (this.flushScheduled) this.flush();
    await Promise.all(Array.from(this.inflight));
    await this.read(Array.from(this.views.values()));
  }

  override start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  override async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  override state(tokenId: string, url: string, config: CircuitBreakerConfig): BreakerState {
    if (!config.enabled) return 'disabled';
    const view = this.fresh(tokenId, url, config);
    return view ? this.viewState(view, config) : super.state(tokenId, url, config);
  }

  override acquire(tokenId: string, url: string, config: CircuitBreakerConfig): { allowed: boolean; state: BreakerState; probe: boolean } {
    if (!config.enabled) return { allowed: true, state: 'disabled', probe: false };
    const view = this.fresh(tokenId, url, config);
    if (!view) return super.acquire(tokenId, url, config);
    if (view.state === 'closed') return { allowed: true, state: 'closed', probe: false };
    const now = this.now();
    const refused = { allowed: false, state: 'open' as const, probe: false };
    if (now - view.openedAt < cooldownMs(config)) return refused;
    const mine = view.leaseUntil > now;
    if (!mine && view.otherLeaseUntil > now) return refused;
    if (view.probes >= config.half_open_max_requests) return refused;
    if (!mine || view.leaseUntil - now < this.leaseMs / 2) {
      // Nobody held the lease as of the last read (or ours is getting old): take it now, claim it in the background.
      view.leaseUntil = now + this.leaseMs;
      view.claim = true;
      view.release = false;
      view.claimSeq = Number.POSITIVE_INFINITY;
      this.schedule(view);
    }
    view.probes += 1;
    return { allowed: true, state: 'half_open', probe: true };
  }

  override release(tokenId: string, url: string): void {
    const view = this.views.get(this.key(tokenId, url));
    if (view && view.probes > 0) {
      view.probes -= 1;
      this.giveBackLease(view);
      return;
    }
    super.release(tokenId, url);
  }

  override record(
    subject: BreakerSubject,
    url: string,
    config: CircuitBreakerConfig,
    outcome: AttemptOutcome,
    probe: boolean,
  ): BreakerState {
    if (!config.enabled) return 'disabled';
    const tokenId = subjectId(subject);
    const view = this.view(subject, url, config);
    const sharedProbe = probe && view.probes > 0;
    if (sharedProbe) view.probes -= 1;
    // The local breaker always learns the outcome, so that the fallback is warm.
    const local = super.record(subject, url, config, outcome, probe && !sharedProbe);
    if (outcome === 'neutral') {
      if (sharedProbe) this.giveBackLease(view);
      return this.state(tokenId, url, config);
    }
    if (!this.healthy) return local;
    // The common case costs no store call: a success on a closed breaker without failures changes
    // nothing there (unless a failure-rate window counts attempts).
    if (
      outcome === 'success' &&
      !sharedProbe &&
      this.isFresh(view) &&
      view.state === 'closed' &&
      view.failures === 0 &&
      config.failure_rate_threshold === undefined
    ) {
      return 'closed';
    }
    const recorded: BreakerOutcome = { failed: outcome === 'failure', probe: sharedProbe };
    view.queue.push(recorded);
    this.applyOutcome(view, recorded, this.now());
    this.schedule(view);
    return this.isFresh(view) ? this.viewState(view, config) : local;
  }

  override cooldownRemainingSecs(tokenId: string, url: string, config: CircuitBreakerConfig): number {
    const view = this.views.get(this.key(tokenId, url));
    if (!view || !this.isFresh(view)) return super.cooldownRemainingSecs(tokenId, url, config);
    if (view.state !== 'open') return 0;
    return Math.max(0, Math.ceil((view.openedAt + cooldownMs(config) - this.now()) / 1000));
  }

  override snapshot(tokenIds?: ReadonlySet<string>): BreakerSnapshot[] {
    const out: BreakerSnapshot[] = [];
    const seen = new Set<string>();
    for (const view of this.views.values()) {
      if (tokenIds && !tokenIds.has(view.tokenId)) continue;
      seen.add(this.key(view.tokenId, view.url));
      const local = this.breakers.get(this.key(view.tokenId, view.url));
      const failures = this.isFresh(view) ? view.failures : (local?.consecutiveFailures ?? 0);
      out.push(this.describe(view.tokenId, view.url, view.config, failures));
    }
    for (const b of this.breakers.values()) {
      if ((tokenIds && !tokenIds.has(b.tokenId)) || seen.has(this.key(b.tokenId, b.url))) continue;
      out.push(this.describe(b.tokenId, b.url, b.config, b.consecutiveFailures));
    }
    return out;
  }

  /** Local breakers report openings only while the shared state is unavailable (else the store does, once). */
  protected override localOpened(b: LocalBreaker): void {
    if (!this.healthy) {
      super.localOpened(b);
      return;
    }
    const view = this.views.get(this.key(b.tokenId, b.url));
    if (view) view.localOpening = { afterSeq: this.seq, breaker: b };
  }

  /**
   * The view, if this instance may trust it now; otherwise undefined (and, unless the store is
   * failing, a read is requested: while it fails, only the background refresh tries it again).
   */
  private fresh(tokenId: string, url: string, config: CircuitBreakerConfig): View | undefined {
    const view = this.view(tokenId, url, config);
    if (this.isFresh(view)) return view;
    if (this.healthy && !view.needsRead && !view.reading) {
      view.needsRead = true;
      this.schedule(view);
    }
    return undefined;
  }

  private isFresh(view: View): boolean {
    return this.healthy && view.fetchedAt > 0 && this.now() - view.fetchedAt <= this.maxAgeMs;
  }

  private viewState(view: View, config: CircuitBreakerConfig): BreakerState {
    if (view.state === 'closed') return 'closed';
    return this.now() - view.openedAt >= cooldownMs(config) ? 'half_open' : 'open';
  }

  private view(subject: BreakerSubject, url: string, config: CircuitBreakerConfig): View {
    const tokenId = subjectId(subject);
    const key = this.key(tokenId, url);
    let view = this.views.get(key);
    const now = this.now();
    if (!view) {
      view = {
        redisKey: sharedBreakerKey(tokenId, url),
        tokenId,
        url,
        config,
        fetchedAt: 0,
        appliedSeq: 0,
        state: 'closed',
        failures: 0,
        openedAt: 0,
        leaseUntil: 0,
        otherLeaseUntil: 0,
        probes: 0,
        lastUsed: now,
        queue: [],
        sent: [],
        claim: false,
        release: false,
        claimSeq: 0,
        needsRead: false,
        reading: false,
      };
      this.views.set(key, view);
      this.start();
    }
    view.config = config;
    view.lastUsed = now;
    if (typeof subject !== 'string') {
      if (subject.projectId !== undefined) view.projectId = subject.projectId;
      if (subject.name !== undefined) view.tokenName = subject.name;
    }
    return view;
  }

  /** No probe of ours is in flight: give the lease back so that other instances need not wait for it to expire. */
  private giveBackLease(view: View): void {
    if (view.probes > 0 || view.leaseUntil <= this.now()) return;
    view.leaseUntil = 0;
    view.claim = false;
    view.release = true;
    this.schedule(view);
  }

  /** What the store will do with an outcome, applied to the copy at once (the store's answer then replaces it). */
  private applyOutcome(view: View, outcome: BreakerOutcome, now: number): void {
    const halfOpen = view.state === 'open' && now - view.openedAt >= cooldownMs(view.config);
    if (!outcome.failed) {
      if (view.state === 'closed') {
        view.failures = 0;
      } else if (outcome.probe && halfOpen) {
        view.state = 'closed';
        view.failures = 0;
        view.leaseUntil = 0;
      }
      return;
    }
    view.failures += 1;
    if (
      (view.state === 'closed' && view.failures >= view.config.failure_threshold) ||
      (view.state === 'open' && outcome.probe && halfOpen)
    ) {
      view.state = 'open';
      view.openedAt = now;
      view.leaseUntil = 0;
    }
  }

  private schedule(view: View): void {
    if (this.closed) return;
    this.dirty.add(view);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Sends what the hot path queued since the last turn: lease changes, outcomes, first reads. */
  private flush(): void {
    this.flushScheduled = false;
    const views = Array.from(this.dirty);
    this.dirty.clear();
    const reads: View[] = [];
    for (const view of views) {
      let wrote = false;
      if (view.release) {
        view.release = false;
        wrote = true;
        this.send(view, () => this.store.breakerReleaseProbe(view.redisKey, this.holder));
      }
      if (view.claim) {
        view.claim = false;
        wrote = true;
        const lease = this.leaseMs;
        view.claimSeq = this.send(view, () => this.store.breakerClaimProbe(view.redisKey, this.holder, cooldownMs(view.config), lease));
      }
      if (view.queue.length > 0 && this.healthy) {
        const outcomes = view.queue.splice(0);
        wrote = true;
        this.send(
          view,
          () => this.store.breakerRecord({ key: view.redisKey, holder: this.holder, settings: settingsOf(view.config), outcomes }),
          outcomes,
        );
      }
      if (view.needsRead && !wrote) reads.push(view);
      view.needsRead = false;
    }
    if (reads.length > 0) void this.read(reads);
  }

  /** One script call for one breaker; its answer (or failure) is applied when it arrives. */
  private send(
    view: View,
    call: () => Promise<SharedBreakerStatus & { opened?: boolean; openedFailures?: number }>,
    outcomes?: BreakerOutcome[],
  ): number {
    const seq = ++this.seq;
    if (outcomes) view.sent.push({ seq, outcomes });
    const done = call().then(
      (status) => {
        this.succeeded();
        this.apply(view, seq, status);
        if (status.opened) this.sharedOpened(view, status.openedFailures ?? status.failures);
      },
      (error: unknown) => this.failed(error),
    );
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
    return seq;
  }

  /** Reads many breakers (chunked), applying each answer. */
  private async read(views: readonly View[]): Promise<void> {
    for (const view of views) view.reading = true;
    try {
      for (let i = 0; i < views.length; i += READ_CHUNK) {
        const chunk = views.slice(i, i + READ_CHUNK);
        const seq = ++this.seq;
        const statuses = await this.store.breakerRead(
          chunk.map((v) => v.redisKey),
          this.holder,
        );
        this.succeeded();
        chunk.forEach((view, j) => this.apply(view, seq, statuses[j]));
      }
    } catch (error) {
      this.failed(error);
    } finally {
      for (const view of views) view.reading = false;
    }
  }

  /** Background refresh of the breakers used recently; also how a failed store is noticed coming back. */
  private refresh(): void {
    if (this.reading || this.closed) return;
    const now = this.now();
    const active: View[] = [];
    for (const [key, view] of this.views) {
      const idle = now - view.lastUsed;
      if (idle > EVICT_MS && view.probes === 0 && view.queue.length === 0 && view.sent.length === 0) {
        this.views.delete(key);
      } else if (idle <= this.activeMs) {
        active.push(view);
      }
    }
    if (active.length === 0) return;
    this.reading = true;
    void this.read(active).finally(() => (this.reading = false));
  }

  /** The store's answer becomes the copy; this instance's outcomes it has not seen yet are re-applied on top. */
  private apply(view: View, seq: number, status: SharedBreakerStatus): void {
    if (seq <= view.appliedSeq || !this.healthy) return;
    view.appliedSeq = seq;
    const now = this.now();
    const pendingLease = view.claimSeq > seq ? view.leaseUntil : 0;
    view.state = status.state;
    view.failures = status.failures;
    view.openedAt = status.state === 'open' ? now - status.openForMs : 0;
    view.leaseUntil = status.leaseMs > 0 ? now + status.leaseMs : 0;
    view.otherLeaseUntil = status.otherLeaseMs > 0 ? now + status.otherLeaseMs : 0;
    view.fetchedAt = now;
    view.sent = view.sent.filter((batch) => batch.seq > seq);
    // The store has seen the outcome that opened the local breaker: its answer decides the report.
    if (view.localOpening && view.sent.length === 0 && view.queue.length === 0 && seq > view.localOpening.afterSeq) {
      view.localOpening = undefined;
    }
    for (const batch of view.sent) for (const outcome of batch.outcomes) this.applyOutcome(view, outcome, now);
    for (const outcome of view.queue) this.applyOutcome(view, outcome, now);
    // A claim not answered yet keeps the lease this instance took optimistically.
    if (pendingLease > now && view.state === 'open') view.leaseUntil = Math.max(view.leaseUntil, pendingLease);
    this.alignLocal(view);
  }

  /** The fallback breaker starts from the last shared state it saw. */
  private alignLocal(view: View): void {
    const local = this.local(view.tokenId, view.url, view.config);
    local.consecutiveFailures = view.failures;
    if (view.state === 'closed') {
      local.state = 'closed';
    } else if (local.state === 'closed' || local.openedAt !== view.openedAt) {
      local.state = 'open';
      local.openedAt = view.openedAt;
      local.probes = 0;
    }
  }

  private sharedOpened(view: View, failures: number): void {
    this.notifyOpened({
      tokenId: view.tokenId,
      projectId: view.projectId,
      tokenName: view.tokenName,
      url: view.url,
      failureCount: failures,
      cooldownSecs: view.config.recovery_cooldown_secs,
    });
  }

  private succeeded(): void {
    if (this.healthy) return;
    this.healthy = true;
    this.logger?.info('Shared circuit-breaker state is reachable again');
  }

  /** The store failed: drop every copy (and what was waiting to be sent) and use the local breakers. */
  private failed(error: unknown): void {
    if (this.healthy) {
      this.logger?.warn({ err: error }, 'Shared circuit-breaker state unavailable; using this instance’s own breakers');
    }
    this.healthy = false;
    for (const view of this.views.values()) {
      if (view.localOpening) {
        // Nobody will report it from the store: this instance does.
        const opened = view.localOpening.breaker;
        view.localOpening = undefined;
        if (opened.state !== 'closed') super.localOpened(opened);
      }
      view.fetchedAt = 0;
      view.queue.length = 0;
      view.sent.length = 0;
      view.claim = false;
      view.release = false;
      view.claimSeq = 0;
      view.leaseUntil = 0;
      view.otherLeaseUntil = 0;
    }
  }
}
