import type { UpstreamTarget } from './proxy-context';

/** Normalises a base URL for breaker keys and forwarding: no trailing slash. */
export function normaliseBase(url: string): string {
  return url.endsWith('/') ? url.replace(/\/+$/, '') : url;
}

/**
 * Smooth weighted round-robin (nginx's algorithm) per token and priority tier, per instance:
 * deterministic, spreads picks evenly in proportion to weight.
 */
export class WeightedRoundRobin {
  private readonly current = new Map<string, Map<string, number>>();

  pick(key: string, candidates: UpstreamTarget[]): UpstreamTarget {
    if (candidates.length === 1) return candidates[0];
    let weights = this.current.get(key);
    if (!weights) {
      weights = new Map();
      this.current.set(key, weights);
    }
    let total = 0;
    let best: UpstreamTarget | undefined;
    let bestWeight = -Infinity;
    for (const c of candidates) {
      const w = (weights.get(c.url) ?? 0) + c.weight;
      weights.set(c.url, w);
      total += c.weight;
      if (w > bestWeight) {
        bestWeight = w;
        best = c;
      }
    }
    const chosen = best ?? candidates[0];
    weights.set(chosen.url, (weights.get(chosen.url) ?? 0) - total);
    return chosen;
  }
}

/** Targets grouped by priority, lowest value first. */
export function priorityTiers(targets: UpstreamTarget[]): UpstreamTarget[][] {
  const tiers = new Map<number, UpstreamTarget[]>();
  for (const t of targets) {
    const tier = tiers.get(t.priority) ?? [];
    tier.push(t);
    tiers.set(t.priority, tier);
  }
  return [...tiers.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
}
