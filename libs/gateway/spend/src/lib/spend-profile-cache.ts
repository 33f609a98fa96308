import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import { CacheInvalidationBus, TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import { decimalToMicros } from './money';
import type { ProjectBudgetPeriod, SpendPeriod, TokenCapPeriod } from './periods';
import { SpendRepository } from './spend.repository';

/** A token's caps in micro-USD (absent: no cap for that period). */
export type TokenCaps = Partial<Record<TokenCapPeriod, number>>;

/** What the proxy needs of a token's project: its organisation and budget. */
export interface ProjectProfile {
  orgId: string;
  budget: { warnMicros: number | null; hardCapMicros: number | null; resetPeriod: ProjectBudgetPeriod } | null;
}

/** A team's budget (identity.md teams: `max_budget_usd` per `budget_duration`, default monthly). */
export interface TeamBudget {
  /** null: no budget (or an inactive team). */
  limitMicros: number | null;
  period: Exclude<SpendPeriod, 'lifetime'>;
}

/** Cache kinds: `ailink:res:spendcaps:{token_id}`, `ailink:res:spendproject:{project_id}`, `ailink:res:spendteam:{team_id}`. */
export const TOKEN_CAPS_CACHE_KIND = 'spendcaps';
export const PROJECT_PROFILE_CACHE_KIND = 'spendproject';
export const TEAM_BUDGET_CACHE_KIND = 'spendteam';
/** The identity feature's cache kind of teams: its invalidations (team writes) refresh ours. */
const TEAM_CACHE_KIND = 'team';

/**
 * Token caps and project budgets through the cache tiers (L1 → Redis → PostgreSQL), so that the spend
 * stage costs no database round trip on a warm request. Every cap or budget write invalidates its
 * entry on every instance within 1 s.
 *
 * Team budgets live in the identity feature's `teams` table; its writes invalidate the cache kind
 * `team`, whose messages this cache listens to (a feature cannot call another), so a budget change
 * reaches every instance within 1 s too.
 */
@Injectable()
export class SpendProfileCache {
  private readonly caps: TieredCache<TokenCaps>;
  private readonly projects: TieredCache<ProjectProfile>;
  private readonly teams: TieredCache<TeamBudget>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: SpendRepository, bus: CacheInvalidationBus) {
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
    this.teams = factory.create<TeamBudget>({
      ...common,
      kind: TEAM_BUDGET_CACHE_KIND,
      loader: async (teamId) => {
        const team = await repository.team(teamId);
        if (!team) return null;
        return {
          limitMicros: team.isActive && team.maxBudgetUsd !== null ? decimalToMicros(team.maxBudgetUsd) : null,
          period: (team.budgetDuration ?? 'monthly') as TeamBudget['period'],
        };
      },
    });
    // Every instance receives the identity feature's message; each drops its copy (L1, and L2 with
    // a version bump, so that no instance refills it from a read that raced the write).
    bus.register(TEAM_CACHE_KIND, {
      evict: (message) => {
        this.teams.invalidate(message.id).catch(() => this.teams.evictLocal(message.id));
      },
      reset: () => this.teams.clearLocal(),
    });
  }

  team(teamId: string): Promise<TeamBudget | null> {
    return this.teams.get(teamId);
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
