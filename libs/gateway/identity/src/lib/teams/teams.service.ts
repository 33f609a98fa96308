import { Injectable } from '@nestjs/common';
import type { Team, TeamMember, TeamSpendRow, ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';
import type { TeamEntity } from '../entities/team.entity';
import type { TeamMemberEntity } from '../entities/team-member.entity';
import { isUniqueViolation, normaliseMoney, uuidParam } from '../identity-util';
import { ModelAccessCache } from '../model-access/model-access-cache';
import { modelPatternProblems } from '../model-access/model-glob';
import type { AddTeamMemberDto, CreateTeamDto, UpdateTeamDto } from './teams.dto';
import { TEAM_MEMBER_INDEX, TEAM_NAME_INDEX, TeamsRepository, type TeamMemberRow } from './teams.repository';

const MAX_TAGS = 64;

/** The Team object (identity.md §6). */
export function toTeamResponse(row: TeamEntity): Team {
  return {
    id: row.id,
    org_id: row.orgId,
    name: row.name,
    description: row.description,
    max_budget_usd: row.maxBudgetUsd,
    budget_duration: row.budgetDuration,
    allowed_models: row.allowedModels ?? null,
    tags: row.tags ?? {},
    is_active: row.isActive,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** The Member object (identity.md §6), with the user's email and name for display. */
export function toMemberResponse(row: TeamMemberEntity | TeamMemberRow): TeamMember {
  const member: TeamMember = {
    id: row.id,
    team_id: row.teamId,
    user_id: row.userId,
    role: row.role,
    source: row.source,
    created_at: new Date(row.createdAt).toISOString(),
  };
  if ('email' in row) {
    member.email = row.email;
    member.name = row.name;
  }
  return member;
}

/**
 * Teams (identity.md §6): organisation-level, unique names (409), budgets, allowed models, tags,
 * members. A principal acting for one team (an API key with `team_id`) sees only that team and cannot
 * create or delete teams. Every write invalidates the team in the cache tiers; deleting a team clears
 * `team_id` on its tokens (foreign key) and invalidates those tokens too.
 */
@Injectable()
export class TeamsService {
  constructor(
    private readonly repository: TeamsRepository,
    private readonly cache: ModelAccessCache,
  ) {}

  async list(principal: Principal): Promise<Team[]> {
    return (await this.repository.list(principal.orgId, principal.teamId)).map(toTeamResponse);
  }

  async get(principal: Principal, id: string): Promise<Team> {
    return toTeamResponse(await this.findVisible(principal, id));
  }

  async create(principal: Principal, dto: CreateTeamDto): Promise<Team> {
    this.assertNotTeamBound(principal);
    const problems: ValidationProblem[] = [];
    const name = dto.name.trim();
    if (name === '') problems.push({ path: '$.name', message: 'must not be blank' });
    const fields = this.checkFields(dto, problems);
    if (problems.length > 0) throw GatewayError.validation(problems);
    if (await this.repository.findByName(principal.orgId, name)) throw this.conflict(name);
    let row: TeamEntity;
    try {
      row = await this.repository.insert({
        orgId: principal.orgId,
        name,
        description: dto.description ?? null,
        maxBudgetUsd: fields.maxBudgetUsd ?? null,
        budgetDuration: dto.budget_duration ?? null,
        allowedModels: fields.allowedModels ?? null,
        tags: fields.tags ?? {},
        isActive: true,
      });
    } catch (error) {
      throw isUniqueViolation(error, TEAM_NAME_INDEX) ? this.conflict(name) : error;
    }
    await this.cache.invalidateTeam(row.id);
    return toTeamResponse(row);
  }

  async update(principal: Principal, id: string, dto: UpdateTeamDto): Promise<Team> {
    const current = await this.findVisible(principal, id);
    const problems: ValidationProblem[] = [];
    for (const field of ['name', 'is_active'] as const) {
      if (dto[field] === null) problems.push({ path: `$.${field}`, message: 'must not be null' });
    }
    if (typeof dto.name === 'string' && dto.name.trim() === '') problems.push({ path: '$.name', message: 'must not be blank' });
    const fields = this.checkFields(dto, problems);
    if (problems.length > 0) throw GatewayError.validation(problems);

    const changes: Partial<TeamEntity> = {};
    if (typeof dto.name === 'string') changes.name = dto.name.trim();
    if (dto.description !== undefined) changes.description = dto.description;
    if (dto.max_budget_usd !== undefined) changes.maxBudgetUsd = fields.maxBudgetUsd ?? null;
    if (dto.budget_duration !== undefined) changes.budgetDuration = dto.budget_duration;
    if (dto.allowed_models !== undefined) changes.allowedModels = fields.allowedModels ?? null;
    if (dto.tags !== undefined) changes.tags = fields.tags ?? {};
    if (typeof dto.is_active === 'boolean') changes.isActive = dto.is_active;
    if (changes.name !== undefined && changes.name !== current.name) {
      const clash = await this.repository.findByName(current.orgId, changes.name);
      if (clash && clash.id !== current.id) throw this.conflict(changes.name);
    }
    let row: TeamEntity;
    try {
      row = await this.repository.update(current.id, changes);
    } catch (error) {
      throw isUniqueViolation(error, TEAM_NAME_INDEX) ? this.conflict(changes.name ?? current.name) : error;
    }
    await this.cache.invalidateTeam(row.id);
    return toTeamResponse(row);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const current = await this.findVisible(principal, id);
    this.assertNotTeamBound(principal);
    const tokens = await this.repository.delete(current.id);
    await this.cache.invalidateTeam(current.id);
    await this.cache.invalidateTokens(tokens);
  }

  async members(principal: Principal, id: string): Promise<TeamMember[]> {
    const team = await this.findVisible(principal, id);
    return (await this.repository.listMembers(team.id)).map(toMemberResponse);
  }

  async addMember(principal: Principal, id: string, dto: AddTeamMemberDto): Promise<TeamMember> {
    const team = await this.findVisible(principal, id);
    const userId = dto.user_id.toLowerCase();
    if (!(await this.repository.userInOrg(userId, team.orgId))) {
      throw GatewayError.validation([{ path: '$.user_id', message: `unknown user ${userId}` }]);
    }
    if (await this.repository.findMember(team.id, userId)) throw this.memberConflict();
    try {
      return toMemberResponse(
        await this.repository.insertMember({ teamId: team.id, userId, role: dto.role ?? 'member', source: 'manual' }),
      );
    } catch (error) {
      throw isUniqueViolation(error, TEAM_MEMBER_INDEX) ? this.memberConflict() : error;
    }
  }

  async removeMember(principal: Principal, id: string, userId: string): Promise<void> {
    const team = await this.findVisible(principal, id);
    if (!(await this.repository.deleteMember(team.id, uuidParam(userId, 'user')))) throw GatewayError.notFound('Team member');
  }

  async spend(principal: Principal, id: string): Promise<TeamSpendRow[]> {
    const team = await this.findVisible(principal, id);
    return (await this.repository.lastSpend(team.id)).map((row) => ({
      team_id: row.teamId,
      period: row.period,
      total_requests: Number(row.totalRequests),
      total_tokens_used: Number(row.totalTokensUsed),
      total_spend_usd: row.totalSpendUsd,
      updated_at: row.updatedAt.toISOString(),
    }));
  }

  private async findVisible(principal: Principal, id: string): Promise<TeamEntity> {
    const teamId = uuidParam(id, 'team');
    if (principal.teamId && principal.teamId !== teamId) throw GatewayError.notFound('Team');
    const row = await this.repository.findInOrg(teamId, principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('Team');
    return row;
  }

  private assertNotTeamBound(principal: Principal): void {
    if (principal.teamId) throw new GatewayError(ErrorCode.Forbidden, 'A key acting for a team cannot create or delete teams');
  }

  /** Money, model patterns and tags of a create/update body: normalised values, problems collected. */
  private checkFields(
    dto: Pick<CreateTeamDto, 'max_budget_usd' | 'allowed_models' | 'tags'>,
    problems: ValidationProblem[],
  ): { maxBudgetUsd?: string | null; allowedModels?: string[] | null; tags?: Record<string, string> } {
    const out: { maxBudgetUsd?: string | null; allowedModels?: string[] | null; tags?: Record<string, string> } = {};
    if (dto.max_budget_usd !== undefined && dto.max_budget_usd !== null) {
      if (typeof dto.max_budget_usd !== 'number' && typeof dto.max_budget_usd !== 'string') {
        throw new GatewayError(ErrorCode.BadRequest, '$.max_budget_usd must be a number or a decimal string');
      }
      out.maxBudgetUsd = normaliseMoney(dto.max_budget_usd, '$.max_budget_usd', problems);
    }
    if (Array.isArray(dto.allowed_models)) {
      problems.push(...modelPatternProblems(dto.allowed_models, '$.allowed_models'));
      out.allowedModels = dto.allowed_models.map((m) => m.trim());
    }
    if (dto.tags !== undefined && dto.tags !== null) {
      const entries = Object.entries(dto.tags);
      if (entries.length > MAX_TAGS) problems.push({ path: '$.tags', message: `must hold at most ${MAX_TAGS} tags` });
      const tags: Record<string, string> = {};
      for (const [key, value] of entries) {
        if (typeof value !== 'string') problems.push({ path: `$.tags.${key}`, message: 'must be a string' });
        else if (key.length > 128 || value.length > 512)
          problems.push({ path: `$.tags.${key}`, message: 'key ≤ 128, value ≤ 512 characters' });
        else tags[key] = value;
      }
      out.tags = tags;
    }
    return out;
  }

  private conflict(name: string): GatewayError {
    return new GatewayError(ErrorCode.Conflict, `A team named '${name}' already exists in this organisation`);
  }

  private memberConflict(): GatewayError {
    return new GatewayError(ErrorCode.Conflict, 'The user is already a member of this team');
  }
}
