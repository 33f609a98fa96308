import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import { decimalToMicros } from './money';
import type { ProjectBudgetPeriod, TokenCapPeriod } from './periods';
import { SpendRepository } from './spend.repository';

/** A token's caps in micro-USD (absent: no cap for that period). */
export type TokenCaps = Partial<Record<TokenCapPeriod, number>>;

/** What the proxy needs of a token's project: its organisation and budget. */
export interface ProjectProfile {
  orgId: string;
  budget: { warnMicros: number | null; hardCapMicros: number | null; resetPeriod: ProjectBudgetPeriod } | null;
}

/** Cache kinds: `ailink:res:spendcaps:{token_id}`, `ailink:res:spendproject:{project_id}`. */
export const TOKEN_CAPS_CACHE_KIND = 'spendcaps';
export const PROJECT_PROFILE_CACHE_KIND = 'spendproject';

/**
 * Token caps and project budgets through the cache tiers (L1 → Redis → PostgreSQL), so that the spend
 * stage costs no database round trip on a warm request. Every cap or budget write invalidates its
 * entry on every instance within 1 s.
 *
 * Extension point for teams: when the teams feature lands, a third cache kind (`spendteam`, keyed by
 * team id, holding `max_budget_usd` and `budget_duration`) joins here and the stage adds a `team` cap
 * for `ctx.token.teamId` (counter `ailink:spend:team:{team_id}:{period_key}`, header
 * `x-ailink-budget-remaining-team`).
 */
@Injectable()
export class SpendProfileCache {
  private readonly caps: TieredCache<TokenCaps>;
  private readonly projects: TieredCache<ProjectProfile>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: SpendRepository) {
    const common = { l1MaxEntries: config.l1MaxEntries, l1TtlMs: Math.max(1, config.l1TtlMs), l2TtlSecs: config.l2TtlSecs };
    this.caps = factory.create<TokenCaps>({
      ...common,
      kind: TOKEN_CAPS_CACHE_KIND,
      loader: async (tokenId) => {
        const caps: TokenCaps = {};
        for (const row of await repository.caps(tokenId)) caps[row.period as TokenCapPeriod] = decimalToMicros(row.limitUsd);
        return caps;
      },
    });
    this.projects = factory.create<ProjectProfile>({
      ...common,
      kind: PROJECT_PROFILE_CACHE_KIND,
      loader: async (projectId) => {
        const orgId = await repository.projectOrg(projectId);
        if (!orgId) return null;
        const budget = await repository.budget(projectId);
        return {
          orgId,
          budget: budget
            ? {
                warnMicros: budget.warnThresholdUsd === null ? null : decimalToMicros(budget.warnThresholdUsd),
                hardCapMicros: budget.hardCapUsd === null ? null : decimalToMicros(budget.hardCapUsd),
                resetPeriod: budget.resetPeriod as ProjectBudgetPeriod,
              }
            : null,
        };
      },
    });
  }

  async tokenCaps(tokenId: string): Promise<TokenCaps> {
    return (await this.caps.get(tokenId)) ?? {};
  }

  project(projectId: string): Promise<ProjectProfile | null> {
    return this.projects.get(projectId);
  }

  invalidateToken(tokenId: string, projectId: string): Promise<void> {
    return this.caps.invalidate(tokenId, projectId);
  }

  invalidateProject(projectId: string): Promise<void> {
    return this.projects.invalidate(projectId, projectId);
  }
}
