import {
  BREAKER_IDLE_TTL_SECS,
  applyBreakerOutcomes,
  assertBreakerSettings,
  assertHolder,
  assertPositiveMs,
  breakerStatus,
  claimBreakerProbe,
  newBreakerHash,
  type BreakerClaimResult,
  type BreakerHash,
  type BreakerRecordRequest,
  type BreakerRecordResult,
  type SharedBreakerStatus,
} from './breaker-state';

interface Stored {
  hash: BreakerHash;
  expiresAt: number;
}

/**
 * The embedded-mode twin of the breaker scripts (one process, so "shared" state is simply this
 * map). Same steps, same argument checks, same idle expiry.
 */
export class MemoryBreakerBook {
  private readonly hashes = new Map<string, Stored>();

  constructor(private readonly clock: () => number) {}

  record(request: BreakerRecordRequest): BreakerRecordResult {
    assertBreakerSettings(request.settings);
    assertHolder(request.holder);
    const now = this.clock();
    const existing = this.live(request.key, now);
    if (request.outcomes.length === 0) {
      return { ...breakerStatus(existing?.hash ?? newBreakerHash(), request.holder, now), opened: false, openedFailures: 0 };
    }
    const stored = existing ?? { hash: newBreakerHash(), expiresAt: 0 };
    const result = applyBreakerOutcomes(stored.hash, request.settings, request.outcomes, now);
    stored.expiresAt = now + BREAKER_IDLE_TTL_SECS * 1000;
    this.hashes.set(request.key, stored);
    return { ...breakerStatus(stored.hash, request.holder, now), ...result };
  }

  read(keys: readonly string[], holder: string): SharedBreakerStatus[] {
    assertHolder(holder);
    const now = this.clock();
    return keys.map((key) => breakerStatus(this.live(key, now)?.hash ?? newBreakerHash(), holder, now));
  }

  claim(key: string, holder: string, cooldownMs: number, leaseMs: number): BreakerClaimResult {
    assertHolder(holder);
    assertPositiveMs(cooldownMs, 'cooldownMs');
    assertPositiveMs(leaseMs, 'leaseMs');
    const now = this.clock();
    const stored = this.live(key, now);
    if (!stored) return { ...breakerStatus(newBreakerHash(), holder, now), granted: false };
    const granted = claimBreakerProbe(stored.hash, holder, cooldownMs, leaseMs, now);
    if (granted) stored.expiresAt = now + BREAKER_IDLE_TTL_SECS * 1000;
    return { ...breakerStatus(stored.hash, holder, now), granted };
  }

  release(key: string, holder: string): SharedBreakerStatus {
    assertHolder(holder);
    const now = this.clock();
    const stored = this.live(key, now);
    if (!stored) return breakerStatus(newBreakerHash(), holder, now);
    if (stored.hash.probeHolder === holder) {
      stored.hash.probeHolder = '';
      stored.hash.probeUntil = 0;
    }
    return breakerStatus(stored.hash, holder, now);
  }

  sweep(): void {
    const now = this.clock();
    for (const [key, stored] of this.hashes) if (stored.expiresAt <= now) this.hashes.delete(key);
  }

  private live(key: string, now: number): Stored | undefined {
    const stored = this.hashes.get(key);
    if (stored && stored.expiresAt <= now) {
      this.hashes.delete(key);
      return undefined;
    }
    return stored;
  }
}
