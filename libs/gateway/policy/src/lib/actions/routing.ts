import type { AuditRouterInfo, DynamicRouteStrategy, PolicyAction, RouteTarget } from '@ailink/shared-contracts';
import { parseBranchField, type BranchView, type FieldValue } from '../engine/fields';
import { compileOperator, type OperatorTest } from '../engine/operators';

type SplitAction = Extract<PolicyAction, { action: 'split' }>;
type DynamicRouteAction = Extract<PolicyAction, { action: 'dynamic_route' }>;
type ConditionalRouteAction = Extract<PolicyAction, { action: 'conditional_route' }>;
type PoolEntry = DynamicRouteAction['pool'][number];

/** What the routing strategies may ask of the running gateway (breakers, prices, latency, load). */
export interface RoutingEnvironment {
  /** The token's breaker for this target base URL is open. */
  breakerOpen(url: string): boolean;
  /** Blended price `(input_per_m + output_per_m) / 2` in USD per million tokens; null when unknown. */
  blendedPricePerM(model: string, url: string): Promise<number | null>;
  /** p50 latency (ms) of a model over the last hour; undefined when unknown. */
  latencyP50Ms(model: string): number | undefined;
  /** Requests in flight to this URL on this instance. */
  inFlight(url: string): number;
  /** The next counter value for a round-robin key (0, 1, 2, …). */
  nextTurn(key: string): number;
  /** Uniform in [0, 1). */
  random(): number;
}

/** What a routing action decided. */
export interface RouteDecision {
  /** `split`, `conditional` or the `dynamic_route` strategy (`x-ailink-route-strategy`). */
  strategy: string;
  /** `round_robin`, `branch 0`, `variant control`, `fallback` (`x-ailink-route-reason`). */
  reason: string;
  /** The target to apply; null: keep the token's own upstreams (and the body as is). */
  target: RouteTarget | null;
  /** Top-level body fields to set (split). */
  setBodyFields?: Record<string, unknown>;
  experiment?: string;
  variant?: string;
  /** For audit `router_info`. */
  info: AuditRouterInfo;
}

/** `split` (proxy.md §11): one variant at random in proportion to its weight. */
export function decideSplit(action: SplitAction, random: () => number): RouteDecision {
  const total = action.variants.reduce((sum, v) => sum + v.weight, 0);
  let roll = random() * total;
  let index = action.variants.length - 1;
  for (let i = 0; i < action.variants.length; i++) {
    roll -= action.variants[i].weight;
    if (roll < 0) {
      index = i;
      break;
    }
  }
  const variant = action.variants[index];
  const name = variant.name ?? `variant_${index}`;
  const model = typeof variant.set_body_fields['model'] === 'string' ? (variant.set_body_fields['model'] as string) : undefined;
  return {
    strategy: 'split',
    reason: `variant ${name}`,
    target: null,
    setBodyFields: variant.set_body_fields,
    ...(action.experiment !== undefined ? { experiment: action.experiment } : {}),
    variant: name,
    info: {
      strategy: 'split',
      reason: `variant ${name}`,
      target: model ?? name,
      candidates: action.variants.map((v, i) => ({ name: v.name ?? `variant_${i}`, weight: v.weight })),
    },
  };
}

function targetLabel(target: RouteTarget): string {
  return target.upstream_url ?? target.model ?? target.credential_id ?? '';
}

async function orderByCost(pool: PoolEntry[], env: RoutingEnvironment): Promise<PoolEntry | undefined> {
  const prices = await Promise.all(pool.map((entry) => env.blendedPricePerM(entry.model, entry.upstream_url)));
  let best: PoolEntry | undefined;
  let bestPrice = Number.POSITIVE_INFINITY;
  pool.forEach((entry, i) => {
    const price = prices[i] ?? Number.POSITIVE_INFINITY;
    if (best === undefined || price < bestPrice) {
      best = entry;
      bestPrice = price;
    }
  });
  return best;
}

function minBy(pool: PoolEntry[], score: (entry: PoolEntry) => number | undefined): PoolEntry | undefined {
  let best: PoolEntry | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const entry of pool) {
    const value = score(entry) ?? Number.POSITIVE_INFINITY;
    if (best === undefined || value < bestScore) {
      best = entry;
      bestScore = value;
    }
  }
  return best;
}

/**
 * `dynamic_route` (proxy.md §11): pool entries whose breaker is open are dropped; none left →
 * `fallback`, or the token's own upstreams when there is none. Strategies: `lowest_cost` (blended
 * price; unknown prices last), `lowest_latency` (p50 of the last hour; unknown last),
 * `round_robin` (per `turnKey`), `least_busy` (fewest in flight on this instance),
 * `weighted_random` (uniform). Ties keep pool order.
 */
export async function decideDynamicRoute(action: DynamicRouteAction, env: RoutingEnvironment, turnKey: string): Promise<RouteDecision> {
  const strategy: DynamicRouteStrategy = action.strategy;
  const available = action.pool.filter((entry) => !env.breakerOpen(entry.upstream_url));
  const candidates = action.pool.map((entry) => ({
    model: entry.model,
    upstream_url: entry.upstream_url,
    available: available.includes(entry),
  }));
  if (available.length === 0) {
    const target = action.fallback ?? null;
    return {
      strategy,
      reason: 'fallback',
      target,
      info: { strategy, reason: 'fallback', target: target ? targetLabel(target) : 'token_upstreams', candidates },
    };
  }
  let chosen: PoolEntry | undefined;
  switch (strategy) {
    case 'lowest_cost':
      chosen = await orderByCost(available, env);
      break;
    case 'lowest_latency':
      chosen = minBy(available, (entry) => env.latencyP50Ms(entry.model));
      break;
    case 'round_robin':
      chosen = available[env.nextTurn(turnKey) % available.length];
      break;
    case 'least_busy':
      chosen = minBy(available, (entry) => env.inFlight(entry.upstream_url));
      break;
    case 'weighted_random':
      chosen = available[Math.min(available.length - 1, Math.floor(env.random() * available.length))];
      break;
  }
  const entry = chosen ?? available[0];
  const target: RouteTarget = {
    model: entry.model,
    upstream_url: entry.upstream_url,
    ...(entry.credential_id !== undefined ? { credential_id: entry.credential_id } : {}),
  };
  return { strategy, reason: strategy, target, info: { strategy, reason: strategy, target: entry.upstream_url, candidates } };
}

interface CompiledBranch {
  read: (view: BranchView) => FieldValue;
  test: OperatorTest;
}

const branchCache = new WeakMap<ConditionalRouteAction, CompiledBranch[]>();

function compileBranches(action: ConditionalRouteAction): CompiledBranch[] {
  let branches = branchCache.get(action);
  if (branches) return branches;
  branches = action.branches.map((branch) => {
    const read = parseBranchField(branch.condition.field);
    if (typeof read === 'string') throw new Error(read); // validated at write time
    const op = branch.condition.op;
    const base = compileOperator(op, branch.condition.value);
    // Branch conditions: a missing field counts as not equal (proxy.md §11).
    const test: OperatorTest = op === 'neq' ? (field) => !field.found || base(field) : base;
    return { read, test };
  });
  branchCache.set(action, branches);
  return branches;
}

/**
 * `conditional_route` (proxy.md §11): the first branch whose condition holds gives the target; no
 * match → `fallback`; no match and no fallback → null (the caller denies with 403).
 */
export function decideConditionalRoute(action: ConditionalRouteAction, view: BranchView): RouteDecision | null {
  const branches = compileBranches(action);
  const candidates = action.branches.map((b, i) => ({ branch: i, target: targetLabel(b.target) }));
  for (let i = 0; i < branches.length; i++) {
    if (branches[i].test(branches[i].read(view))) {
      const target = action.branches[i].target;
      const reason = `branch ${i}`;
      return {
        strategy: 'conditional',
        reason,
        target,
        info: { strategy: 'conditional', reason, target: targetLabel(target), candidates },
      };
    }
  }
  if (!action.fallback) return null;
  return {
    strategy: 'conditional',
    reason: 'fallback',
    target: action.fallback,
    info: { strategy: 'conditional', reason: 'fallback', target: targetLabel(action.fallback), candidates },
  };
}
