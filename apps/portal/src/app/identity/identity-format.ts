import type { Team, UserRole } from '@ailink/shared-contracts';

export const USER_ROLE_LABELS: Readonly<Record<UserRole, string>> = { admin: 'Admin', member: 'Member', readonly: 'Read-only' };

/** Entries of a textarea: one per line (commas separate too), trimmed, empties dropped. */
export function linesOf(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** `key = value` lines as a record; lines without `=` (or with an empty side) are returned as `bad`. */
export function pairsOf(text: string): { pairs: Record<string, string>; bad: string[] } {
  const pairs: Record<string, string> = {};
  const bad: string[] = [];
  for (const line of text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    const value = eq > 0 ? line.slice(eq + 1).trim() : '';
    if (!key || !value) bad.push(line);
    else pairs[key] = value;
  }
  return { pairs, bad };
}

/** A record as `key = value` lines (the inverse of {@link pairsOf}). */
export function pairsText(record: Record<string, string> | null | undefined): string {
  return Object.entries(record ?? {})
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
}

/** How a team's model restriction reads in a table. */
export function modelsSummary(models: readonly string[] | null): string {
  if (models === null) return 'All models';
  if (models.length === 0) return 'No models';
  return models.join(', ');
}

/** A team's budget as text: `$250.00 per week`, or `No budget`. */
export function budgetSummary(team: Pick<Team, 'max_budget_usd' | 'budget_duration'>): string {
  if (team.max_budget_usd === null) return 'No budget';
  const period = { daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' }[team.budget_duration ?? 'monthly'];
  return `$${Number(team.max_budget_usd).toFixed(2)} per ${period}`;
}
