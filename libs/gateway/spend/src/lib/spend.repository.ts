import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { microsToDecimal, decimalToMicros } from './money';
import type { SpendScope } from './spend-keys';

/** What the management routes need of a token (never the secret itself). */
export interface TokenRow {
  id: string;
  projectId: string;
  secretSha256: string;
}

export interface CapRow {
  period: string;
  limitUsd: string;
}

export interface TeamRow {
  maxBudgetUsd: string | null;
  budgetDuration: string | null;
  isActive: boolean;
}

/** Tokens to add to a team's daily `team_spend.total_tokens_used`. */
export interface TeamTokens {
  teamId: string;
  day: string;
  tokens: number;
}

export interface BudgetRow {
  projectId: string;
  warnThresholdUsd: string | null;
  hardCapUsd: string | null;
  resetPeriod: string;
}

/** A counter's identity in PostgreSQL. */
export interface SpendRef {
  scope: SpendScope;
  id: string;
  periodKey: string;
}

/** An amount to add to a PostgreSQL total. */
export interface SpendIncrement extends SpendRef {
  micros: number;
  requests: number;
}

/** A base read from PostgreSQL. */
export interface SpendBase extends SpendRef {
  micros: number;
  requests: number;
}

/**
 * Tables holding spend totals per scope (teams are added with their feature). Sessions are keyed by
 * `{project_id}:{session_id}` and handled apart (`sessions.total_cost_usd` / `total_requests`).
 */
const TOTALS: Partial<Record<SpendScope, { table: string; idColumn: string; idType: string; parent: string }>> = {
  token: { table: 'token_spend', idColumn: 'token_id', idType: 'varchar', parent: 'tokens' },
  project: { table: 'project_spend', idColumn: 'project_id', idType: 'uuid', parent: 'projects' },
};

/**
 * Owns the queries on `spend_caps`, `project_budgets`, `token_spend` and `project_spend`, and the
 * token / project look-ups the spend routes and the profile caches need.
 */
@Injectable()
export class SpendRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** By public id, limited to an organisation (null: any, for the superadmin). */
  async findToken(publicId: string, orgId: string | null): Promise<TokenRow | null> {
    const rows: { id: string; project_id: string; secret_sha256: string }[] = await this.dataSource.query(
      orgId === null
        ? 'SELECT t.id, t.project_id, t.secret_sha256 FROM tokens t WHERE t.id = $1'
        : 'SELECT t.id, t.project_id, t.secret_sha256 FROM tokens t JOIN projects p ON p.id = t.project_id WHERE t.id = $1 AND p.org_id = $2',
      orgId === null ? [publicId] : [publicId, orgId],
    );
    return rows[0] ? { id: rows[0].id, projectId: rows[0].project_id, secretSha256: rows[0].secret_sha256 } : null;
  }

  /** The organisation of a project, or null when it does not exist (or is outside `orgId`). */
  async projectOrg(projectId: string, orgId: string | null = null): Promise<string | null> {
    const rows: { org_id: string }[] = await this.dataSource.query(
      orgId === null ? 'SELECT org_id FROM projects WHERE id = $1' : 'SELECT org_id FROM projects WHERE id = $1 AND org_id = $2',
      orgId === null ? [projectId] : [projectId, orgId],
    );
    return rows[0]?.org_id ?? null;
  }

  async caps(tokenId: string): Promise<CapRow[]> {
    const rows: { period: string; limit_usd: string }[] = await this.dataSource.query(
      'SELECT period, limit_usd FROM spend_caps WHERE token_id = $1',
      [tokenId],
    );
    return rows.map((r) => ({ period: r.period, limitUsd: r.limit_usd }));
  }

  async upsertCap(tokenId: string, projectId: string, period: string, limitMicros: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO spend_caps (token_id, project_id, period, limit_usd) VALUES ($1, $2, $3, $4)
       ON CONFLICT (token_id, period) DO UPDATE SET limit_usd = EXCLUDED.limit_usd, updated_at = now()`,
      [tokenId, projectId, period, microsToDecimal(limitMicros)],
    );
  }

  async deleteCap(tokenId: string, period: string): Promise<void> {
    await this.dataSource.query('DELETE FROM spend_caps WHERE token_id = $1 AND period = $2', [tokenId, period]);
  }

  async budget(projectId: string): Promise<BudgetRow | null> {
    const rows: { project_id: string; warn_threshold_usd: string | null; hard_cap_usd: string | null; reset_period: string }[] =
      await this.dataSource.query(
        'SELECT project_id, warn_threshold_usd, hard_cap_usd, reset_period FROM project_budgets WHERE project_id = $1',
        [projectId],
      );
    const r = rows[0];
    return r
      ? { projectId: r.project_id, warnThresholdUsd: r.warn_threshold_usd, hardCapUsd: r.hard_cap_usd, resetPeriod: r.reset_period }
      : null;
  }

  async upsertBudget(projectId: string, warnMicros: number | null, capMicros: number | null, resetPeriod: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO project_budgets (project_id, warn_threshold_usd, hard_cap_usd, reset_period) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project_id) DO UPDATE SET warn_threshold_usd = EXCLUDED.warn_threshold_usd, hard_cap_usd = EXCLUDED.hard_cap_usd,
         reset_period = EXCLUDED.reset_period, updated_at = now()`,
      [
        projectId,
        warnMicros === null ? null : microsToDecimal(warnMicros),
        capMicros === null ? null : microsToDecimal(capMicros),
        resetPeriod,
      ],
    );
  }

  async deleteBudget(projectId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('DELETE FROM project_budgets WHERE project_id = $1 RETURNING project_id', [
      projectId,
    ]);
    return rows.length > 0;
  }

  /** A team's budget (the `teams` table of the identity feature), or null when it does not exist. */
  async team(teamId: string): Promise<TeamRow | null> {
    const rows: { max_budget_usd: string | null; budget_duration: string | null; is_active: boolean }[] = await this.dataSource.query(
      'SELECT max_budget_usd, budget_duration, is_active FROM teams WHERE id = $1',
      [teamId],
    );
    const r = rows[0];
    return r ? { maxBudgetUsd: r.max_budget_usd, budgetDuration: r.budget_duration, isActive: r.is_active } : null;
  }

  /** Adds token counts to the teams' daily `team_spend` rows. */
  async addTeamTokens(batch: readonly TeamTokens[]): Promise<void> {
    if (batch.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO team_spend (team_id, period, total_tokens_used)
       SELECT u.team_id, u.day, sum(u.tokens) FROM unnest($1::uuid[], $2::date[], $3::bigint[]) AS u(team_id, day, tokens)
       JOIN teams t ON t.id = u.team_id GROUP BY u.team_id, u.day
       ON CONFLICT (team_id, period) DO UPDATE SET total_tokens_used = team_spend.total_tokens_used + EXCLUDED.total_tokens_used, updated_at = now()`,
      [batch.map((b) => b.teamId), batch.map((b) => b.day), batch.map((b) => b.tokens)],
    );
  }

  /** Every organisation id (the flush walks their dirty sets). */
  async orgIds(): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query('SELECT id FROM organizations');
    return rows.map((r) => r.id);
  }

  /** The PostgreSQL totals of the given counters (missing rows read as zero). */
  async bases(refs: readonly SpendRef[]): Promise<SpendBase[]> {
    const out = new Map<string, SpendBase>();
    for (const ref of refs) out.set(refKey(ref), { ...ref, micros: 0, requests: 0 });
    for (const [scope, group] of groupByScope(refs)) {
      if (scope === 'session') {
        const keys = group.map((r) => splitSessionId(r.id));
        const rows: { project_id: string; session_id: string; total_cost_usd: string; total_requests: string }[] =
          await this.dataSource.query(
            `SELECT s.project_id::text AS project_id, s.session_id, s.total_cost_usd, s.total_requests
           FROM sessions s JOIN unnest($1::text[], $2::text[]) AS u(project_id, session_id)
             ON s.project_id::text = u.project_id AND s.session_id = u.session_id`,
            [keys.map((k) => k.projectId), keys.map((k) => k.sessionId)],
          );
        for (const row of rows) {
          const base = out.get(refKey({ scope, id: `${row.project_id}:${row.session_id}`, periodKey: 'lifetime' }));
          if (base) {
            base.micros = decimalToMicros(row.total_cost_usd);
            base.requests = Number(row.total_requests);
          }
        }
        continue;
      }
      if (scope === 'team') {
        // team_spend holds one row per UTC day: a weekly/monthly/yearly counter's base is the sum of its days.
        const rows: { id: string; period_key: string; spend: string; requests: string }[] = await this.dataSource.query(
          `SELECT u.id, u.period_key, coalesce(sum(s.total_spend_usd), 0)::text AS spend, coalesce(sum(s.total_requests), 0)::text AS requests
           FROM unnest($1::text[], $2::text[]) AS u(id, period_key)
           LEFT JOIN team_spend s ON s.team_id::text = u.id AND s.period >= ${PERIOD_START} AND s.period < ${PERIOD_END}
           GROUP BY u.id, u.period_key`,
          [group.map((r) => r.id), group.map((r) => r.periodKey)],
        );
        for (const row of rows) {
          const base = out.get(refKey({ scope, id: row.id, periodKey: row.period_key }));
          if (base) {
            base.micros = decimalToMicros(row.spend);
            base.requests = Number(row.requests);
          }
        }
        continue;
      }
      const totals = TOTALS[scope];
      if (!totals) continue;
      const rows: { id: string; period_key: string; spend_usd: string; requests: string }[] = await this.dataSource.query(
        `SELECT s.${totals.idColumn}::text AS id, s.period_key, s.spend_usd, s.requests
         FROM ${totals.table} s JOIN unnest($1::text[], $2::text[]) AS u(id, period_key)
           ON s.${totals.idColumn}::text = u.id AND s.period_key = u.period_key`,
        [group.map((r) => r.id), group.map((r) => r.periodKey)],
      );
      for (const row of rows) {
        const base = out.get(refKey({ scope, id: row.id, periodKey: row.period_key }));
        if (base) {
          base.micros = decimalToMicros(row.spend_usd);
          base.requests = Number(row.requests);
        }
      }
    }
    return refs.map((ref) => out.get(refKey(ref)) as SpendBase);
  }

  /**
   * Adds amounts to the PostgreSQL totals in one transaction (one multi-row upsert per table).
   * Amounts of tokens or projects that no longer exist are dropped.
   */
  async addTotals(increments: readonly SpendIncrement[]): Promise<void> {
    if (increments.length === 0) return;
    const merged = new Map<string, SpendIncrement>();
    for (const inc of increments) {
      const key = refKey(inc);
      const current = merged.get(key);
      if (current) {
        current.micros += inc.micros;
        current.requests += inc.requests;
      } else {
        merged.set(key, { ...inc });
      }
    }
    await this.dataSource.transaction(async (manager: EntityManager) => {
      for (const [scope, group] of groupByScope(Array.from(merged.values()))) {
        if (scope === 'session') {
          const keys = group.map((g) => splitSessionId(g.id));
          await manager.query(
            `UPDATE sessions s SET total_cost_usd = s.total_cost_usd + u.spend, total_requests = s.total_requests + u.requests, updated_at = now()
             FROM unnest($1::uuid[], $2::varchar[], $3::numeric[], $4::bigint[]) AS u(project_id, session_id, spend, requests)
             WHERE s.project_id = u.project_id AND s.session_id = u.session_id`,
            [
              keys.map((k) => k.projectId),
              keys.map((k) => k.sessionId),
              group.map((g) => microsToDecimal(g.micros)),
              group.map((g) => g.requests),
            ],
          );
          continue;
        }
        if (scope === 'team') {
          // Only the daily team counters are written (longer periods are sums of days).
          const days = group.filter((g) => DAY_KEY.test(g.periodKey));
          if (days.length === 0) continue;
          await manager.query(
            `INSERT INTO team_spend (team_id, period, total_spend_usd, total_requests)
             SELECT u.id::uuid, u.day, u.spend, u.requests
             FROM unnest($1::text[], $2::date[], $3::numeric[], $4::bigint[]) AS u(id, day, spend, requests)
             JOIN teams t ON t.id::text = u.id
             ON CONFLICT (team_id, period) DO UPDATE SET
               total_spend_usd = team_spend.total_spend_usd + EXCLUDED.total_spend_usd,
               total_requests = team_spend.total_requests + EXCLUDED.total_requests,
               updated_at = now()`,
            [days.map((g) => g.id), days.map((g) => g.periodKey), days.map((g) => microsToDecimal(g.micros)), days.map((g) => g.requests)],
          );
          continue;
        }
        const totals = TOTALS[scope];
        if (!totals) continue;
        await manager.query(
          `INSERT INTO ${totals.table} (${totals.idColumn}, period_key, spend_usd, requests)
           SELECT u.id::${totals.idType}, u.period_key, u.spend, u.requests
           FROM unnest($1::text[], $2::text[], $3::numeric[], $4::bigint[]) AS u(id, period_key, spend, requests)
           JOIN ${totals.parent} parent ON parent.id::text = u.id
           ON CONFLICT (${totals.idColumn}, period_key) DO UPDATE SET
             spend_usd = ${totals.table}.spend_usd + EXCLUDED.spend_usd,
             requests = ${totals.table}.requests + EXCLUDED.requests,
             updated_at = now()`,
          [
            group.map((g) => g.id),
            group.map((g) => g.periodKey),
            group.map((g) => microsToDecimal(g.micros)),
            group.map((g) => g.requests),
          ],
        );
      }
    });
  }

  /** A token's daily totals between two `YYYY-MM-DD` keys (inclusive). */
  async tokenDays(tokenId: string, from: string, to: string): Promise<{ periodKey: string; micros: number; requests: number }[]> {
    const rows: { period_key: string; spend_usd: string; requests: string }[] = await this.dataSource.query(
      `SELECT period_key, spend_usd, requests FROM token_spend
       WHERE token_id = $1 AND period_key ~ '^\\d{4}-\\d{2}-\\d{2}$' AND period_key BETWEEN $2 AND $3`,
      [tokenId, from, to],
    );
    return rows.map((r) => ({ periodKey: r.period_key, micros: decimalToMicros(r.spend_usd), requests: Number(r.requests) }));
  }
}

const DAY_KEY = /^\d{4}-\d{2}-\d{2}$/;

/** First day of the period named by `u.period_key` (`YYYY-MM-DD`, `GGGG-Www`, `YYYY-MM`, `YYYY`). */
const PERIOD_START = `(CASE
  WHEN u.period_key ~ '^\\d{4}-\\d{2}-\\d{2}$' THEN u.period_key::date
  WHEN u.period_key ~ '^\\d{4}-W\\d{2}$' THEN to_date(u.period_key, 'IYYY-"W"IW')
  WHEN u.period_key ~ '^\\d{4}-\\d{2}$' THEN (u.period_key || '-01')::date
  ELSE (u.period_key || '-01-01')::date END)`;
/** Day after the period named by `u.period_key`. */
const PERIOD_END = `(CASE
  WHEN u.period_key ~ '^\\d{4}-\\d{2}-\\d{2}$' THEN u.period_key::date + 1
  WHEN u.period_key ~ '^\\d{4}-W\\d{2}$' THEN to_date(u.period_key, 'IYYY-"W"IW') + 7
  WHEN u.period_key ~ '^\\d{4}-\\d{2}$' THEN ((u.period_key || '-01')::date + interval '1 month')::date
  ELSE ((u.period_key || '-01-01')::date + interval '1 year')::date END)`;

/** A session counter's id `{project_id}:{session_id}` (session ids may contain `:`). */
export function splitSessionId(id: string): { projectId: string; sessionId: string } {
  const colon = id.indexOf(':');
  return { projectId: id.slice(0, colon), sessionId: id.slice(colon + 1) };
}

function refKey(ref: SpendRef): string {
  return `${ref.scope}|${ref.id}|${ref.periodKey}`;
}

function groupByScope<T extends SpendRef>(refs: readonly T[]): Map<SpendScope, T[]> {
  const groups = new Map<SpendScope, T[]>();
  for (const ref of refs) {
    const list = groups.get(ref.scope) ?? [];
    list.push(ref);
    groups.set(ref.scope, list);
  }
  return groups;
}
