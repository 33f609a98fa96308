/**
 * Rate-limited emission for flood-prone events (approvals-webhooks-anomalies.md §2:
 * `rate_limit_exceeded`, `spend_cap_exceeded`, `policy_violation` fire at most once per key per 60 s,
 * with `details.suppressed_count`). Per instance, in memory; expired keys are dropped once more than
 * `maxKeys` are remembered, so a spray of distinct keys cannot grow it for long.
 */
export class OncePerWindow {
  private readonly recent = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /**
   * An occurrence of `key` at `now`: null when one already went out within the window (this one is
   * counted), else how many were held back since the previous one that went out (0 the first time).
   */
  admit(key: string, now = Date.now()): number | null {
    const last = this.recent.get(key);
    if (last && now - last.at < this.windowMs) {
      last.suppressed += 1;
      return null;
    }
    this.recent.set(key, { at: now, suppressed: 0 });
    if (this.recent.size > this.maxKeys) {
      for (const [k, entry] of this.recent) if (now - entry.at >= this.windowMs) this.recent.delete(k);
    }
    return last?.suppressed ?? 0;
  }
}
