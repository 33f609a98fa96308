import { counterExpireAtSecs, periodEndMs, periodKey, type SpendPeriod } from './periods';

/** Who a spend counter belongs to. `team` is reserved for team budgets (not wired yet). */
export type SpendScope = 'token' | 'team' | 'project' | 'session';

/** Counter hash `ailink:spend:{scope}:{id}:{period_key}` (data-model.md, Redis keyspace). */
export function spendCounterKey(scope: SpendScope, id: string, periodKey: string): string {
  return `ailink:spend:${scope}:${id}:${periodKey}`;
}

/** Reservation sorted set `ailink:spendres:{scope}:{id}:{period_key}`. */
export function spendReservationKey(scope: SpendScope, id: string, periodKey: string): string {
  return `ailink:spendres:${scope}:${id}:${periodKey}`;
}

/** Set of counters with unflushed amounts, per organisation. */
export function spendDirtyKey(orgId: string): string {
  return `ailink:spend:dirty:${orgId}`;
}

/** Settle-once guard of one request (iteration 0) or one MCP loop iteration. */
export function spendSettledKey(requestId: string, iteration = 0): string {
  return `ailink:spendsettled:${requestId}:${iteration}`;
}

/** One counter of one request: where it is, and until when it lives. */
export interface CounterRef {
  scope: SpendScope;
  id: string;
  period: SpendPeriod;
  periodKey: string;
  key: string;
  reservationKey: string;
  expireAtSecs: number | null;
}

/**
 * Parses a counter key back into its parts. Session ids may contain `:`, so the scope and the period
 * key are read from the ends; a session counter's id is `{project_id}:{session_id}`.
 */
export function parseCounterKey(key: string): { scope: SpendScope; id: string; periodKey: string } | null {
  if (!key.startsWith('ailink:spend:')) return null;
  const rest = key.slice('ailink:spend:'.length);
  const first = rest.indexOf(':');
  const last = rest.lastIndexOf(':');
  if (first <= 0 || last <= first) return null;
  const scope = rest.slice(0, first);
  if (scope !== 'token' && scope !== 'team' && scope !== 'project' && scope !== 'session') return null;
  return { scope, id: rest.slice(first + 1, last), periodKey: rest.slice(last + 1) };
}

/** The counter of `scope`/`id` for the period containing `at`. */
export function counterRef(scope: SpendScope, id: string, period: SpendPeriod, at: Date): CounterRef {
  const key = periodKey(period, at);
  return {
    scope,
    id,
    period,
    periodKey: key,
    key: spendCounterKey(scope, id, key),
    reservationKey: spendReservationKey(scope, id, key),
    expireAtSecs: counterExpireAtSecs(period, at),
  };
}

/** Current counters of one scope and id over a list of periods, and until when they all hold (per list). */
const currentGroups = new WeakMap<readonly SpendPeriod[], Map<string, { refs: readonly CounterRef[]; fromMs: number; untilMs: number }>>();

/**
 * {@link currentCounterRef} for each of `periods` (pass a constant list: the memo is kept per list
 * object), as one array reused until the first of those periods ends (read-only).
 */
export function currentCounterRefs(scope: SpendScope, id: string, periods: readonly SpendPeriod[], nowMs: number): readonly CounterRef[] {
  let groups = currentGroups.get(periods);
  if (!groups) currentGroups.set(periods, (groups = new Map()));
  const cacheKey = scope + '|' + id;
  const known = groups.get(cacheKey);
  if (known && nowMs >= known.fromMs && nowMs < known.untilMs) return known.refs;
  const at = new Date(nowMs);
  const refs = periods.map((period) => currentCounterRef(scope, id, period, nowMs));
  const untilMs = Math.min(...periods.map((period) => periodEndMs(period, at) ?? Number.POSITIVE_INFINITY));
  if (groups.size >= CURRENT_REFS_MAX) groups.clear();
  groups.set(cacheKey, { refs, fromMs: nowMs, untilMs });
  return refs;
}

/** Counters of the current periods handed out lately (the hot path asks for the same few, request after request). */
const currentRefs = new Map<string, { ref: CounterRef; fromMs: number; untilMs: number }>();
const CURRENT_REFS_MAX = 10_000;

/**
 * {@link counterRef} for the period containing `nowMs`, reused until that period ends (the same object
 * for every request of the period; treat it as read-only). Lifetime counters never end.
 */
export function currentCounterRef(scope: SpendScope, id: string, period: SpendPeriod, nowMs: number): CounterRef {
  const cacheKey = `${scope}|${id}|${period}`;
  const known = currentRefs.get(cacheKey);
  if (known && nowMs >= known.fromMs && nowMs < known.untilMs) return known.ref;
  const at = new Date(nowMs);
  const ref = counterRef(scope, id, period, at);
  if (currentRefs.size >= CURRENT_REFS_MAX) currentRefs.clear();
  // Reused from now until the period ends (a clock that steps back gets its own period's counter).
  currentRefs.set(cacheKey, { ref, fromMs: nowMs, untilMs: periodEndMs(period, at) ?? Number.POSITIVE_INFINITY });
  return ref;
}
