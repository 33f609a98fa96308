/** Spend periods and their keys (vault-and-spend.md §6 "Counters", §8.8). All in UTC. */

export type SpendPeriod = 'daily' | 'weekly' | 'monthly' | 'yearly' | 'lifetime';
export const TOKEN_CAP_PERIODS = ['daily', 'monthly', 'lifetime'] as const;
export type TokenCapPeriod = (typeof TOKEN_CAP_PERIODS)[number];
export const PROJECT_BUDGET_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type ProjectBudgetPeriod = (typeof PROJECT_BUDGET_PERIODS)[number];

const DAY_MS = 86_400_000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** ISO week-year and week of a date (2024-12-30 → 2025, 1). */
export function isoWeek(date: Date): { year: number; week: number } {
  const day = (date.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) + (3 - day) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return { year, week };
}

/** `YYYY-MM-DD`, `GGGG-Www`, `YYYY-MM`, `YYYY`, `lifetime`. */
export function periodKey(period: SpendPeriod, at: Date): string {
  switch (period) {
    case 'daily':
      return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
    case 'weekly': {
      const { year, week } = isoWeek(at);
      return `${year}-W${pad(week)}`;
    }
    case 'monthly':
      return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}`;
    case 'yearly':
      return String(at.getUTCFullYear());
    case 'lifetime':
      return 'lifetime';
  }
}

/** Epoch ms at which the period containing `at` ends (null for lifetime). */
export function periodEndMs(period: SpendPeriod, at: Date): number | null {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  switch (period) {
    case 'daily':
      return Date.UTC(y, m, at.getUTCDate() + 1);
    case 'weekly': {
      const day = (at.getUTCDay() + 6) % 7;
      return Date.UTC(y, m, at.getUTCDate() - day + 7);
    }
    case 'monthly':
      return Date.UTC(y, m + 1, 1);
    case 'yearly':
      return Date.UTC(y + 1, 0, 1);
    case 'lifetime':
      return null;
  }
}

/** Counters expire at the end of their period + 1 day (`EXPIREAT`, Unix seconds); lifetime never. */
export function counterExpireAtSecs(period: SpendPeriod, at: Date): number | null {
  const end = periodEndMs(period, at);
  return end === null ? null : Math.floor((end + DAY_MS) / 1000);
}

/** The UTC dates of the last `days` days ending with `at`'s day, oldest first (`YYYY-MM-DD`). */
export function lastDays(days: number, at: Date): string[] {
  const out: string[] = [];
  const today = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  for (let i = days - 1; i >= 0; i--) out.push(periodKey('daily', new Date(today - i * DAY_MS)));
  return out;
}

/** Adjective used in messages: "Daily spend cap of $5.00 reached". */
export function periodLabel(period: SpendPeriod): string {
  return period.charAt(0).toUpperCase() + period.slice(1);
}
