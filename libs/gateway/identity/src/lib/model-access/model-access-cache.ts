import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import {
  INVALIDATION_CHANNEL,
  KeyValueStore,
  TieredCacheFactory,
  negativeResourceKey,
  resourceKey,
  resourceVersionKey,
  type InvalidationMessage,
  type TieredCache,
} from '@ailink/gateway-redis';
import type { BudgetDuration } from '@ailink/shared-contracts';
import type { ModelAccessGroupEntity } from '../entities/model-access-group.entity';
import type { TeamEntity } from '../entities/team.entity';

/** Cache kinds: `ailink:res:team:{id}`, `ailink:res:modelgroup:{id}` (spec README: teams and model access groups resolve through the tiers). */
export const TEAM_CACHE_KIND = 'team';
export const MODEL_GROUP_CACHE_KIND = 'modelgroup';
/** The tokens feature's cache kind: a deleted team's tokens are invalidated under it. */
const TOKEN_CACHE_KIND = 'token';

/** What the proxy uses of a team. Shared between requests: never mutate. */
export interface ResolvedTeam {
  id: string;
  orgId: string;
  name: string;
  allowedModels: string[] | null;
  isActive: boolean;
  tags: Record<string, string>;
  maxBudgetUsd: string | null;
  budgetDuration: BudgetDuration | null;
}

/** What the proxy uses of a model access group. Shared between requests: never mutate. */
export interface ResolvedModelGroup {
  id: string;
  projectId: string;
  name: string;
  models: string[];
}

export function toResolvedTeam(row: TeamEntity): ResolvedTeam {
  return {
    id: row.id,
    orgId: row.orgId,
    name: row.name,
    allowedModels: row.allowedModels ?? null,
    isActive: row.isActive,
    tags: row.tags ?? {},
    maxBudgetUsd: row.maxBudgetUsd,
    budgetDuration: row.budgetDuration,
  };
}

export function toResolvedModelGroup(row: ModelAccessGroupEntity): ResolvedModelGroup {
  return { id: row.id, projectId: row.projectId, name: row.name, models: row.models ?? [] };
}

/** Loaders of the system of record, provided by the repositories. */
export abstract class ModelAccessSource {
  abstract team(id: string): Promise<ResolvedTeam | null>;
  abstract group(id: string): Promise<ResolvedModelGroup | null>;
}

/**
 * Teams and model access groups through the cache tiers (L1 LRU → Redis → PostgreSQL), keyed by id;
 * unknown ids are negatively cached. Every write calls the matching `invalidate…` after it commits,
 * so every instance drops its copy within 1 s.
 */
@Injectable()
export class ModelAccessCache {
  private readonly teams: TieredCache<ResolvedTeam>;
  private readonly groups: TieredCache<ResolvedModelGroup>;
  private readonly l2TtlSecs: number;

  constructor(
    factory: TieredCacheFactory,
    config: AppConfig,
    source: ModelAccessSource,
    private readonly store: KeyValueStore,
  ) {
    this.l2TtlSecs = config.l2TtlSecs;
    const tiers = { l1MaxEntries: config.l1MaxEntries, l1TtlMs: Math.max(1, config.l1TtlMs), l2TtlSecs: config.l2TtlSecs };
    this.teams = factory.create<ResolvedTeam>({ kind: TEAM_CACHE_KIND, loader: (id) => source.team(id), ...tiers });
    this.groups = factory.create<ResolvedModelGroup>({ kind: MODEL_GROUP_CACHE_KIND, loader: (id) => source.group(id), ...tiers });
  }

  team(id: string): Promise<ResolvedTeam | null> {
    return this.teams.get(id);
  }

  group(id: string): Promise<ResolvedModelGroup | null> {
    return this.groups.get(id);
  }

  invalidateTeam(id: string): Promise<void> {
    return this.teams.invalidate(id, null);
  }

  invalidateGroup(id: string, projectId: string): Promise<void> {
    return this.groups.invalidate(id, projectId);
  }

  /**
   * Invalidates tokens in the tokens feature's cache kind (after their `team_id` was cleared by a team
   * deletion): the same steps as its own invalidation — bump the version, delete the L2 entries and
   * tell every instance — without importing that feature.
   */
  async invalidateTokens(tokens: readonly { id: string; projectId: string }[]): Promise<void> {
    for (const token of tokens) {
      await this.store.bumpVersion(resourceVersionKey(TOKEN_CACHE_KIND, token.id), this.l2TtlSecs + 60);
      await this.store.del(resourceKey(TOKEN_CACHE_KIND, token.id), negativeResourceKey(TOKEN_CACHE_KIND, token.id));
      const message: InvalidationMessage = { kind: TOKEN_CACHE_KIND, id: token.id, project_id: token.projectId };
      await this.store.publish(INVALIDATION_CHANNEL, JSON.stringify(message));
    }
  }
}
