import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import type { TeamMemberRole, TeamMemberSource } from '@ailink/shared-contracts';
import { TeamMemberEntity } from '../entities/team-member.entity';
import { TeamSpendEntity } from '../entities/team-spend.entity';
import { TeamEntity } from '../entities/team.entity';

export const TEAM_NAME_INDEX = 'uq_teams_org_name';
export const TEAM_MEMBER_INDEX = 'uq_team_members_team_user';

/** A member row with the user's profile, for listings. */
export interface TeamMemberRow extends TeamMemberEntity {
  email: string | null;
  name: string | null;
}

/** A token that belonged to a deleted team (its cache entry must be invalidated). */
export interface TokenRef {
  id: string;
  projectId: string;
}

/** Owns the queries on `teams`, `team_members` and `team_spend`. */
@Injectable()
export class TeamsRepository {
  constructor(
    @InjectRepository(TeamEntity) private readonly teams: Repository<TeamEntity>,
    @InjectRepository(TeamMemberEntity) private readonly members: Repository<TeamMemberEntity>,
    @InjectRepository(TeamSpendEntity) private readonly spend: Repository<TeamSpendEntity>,
  ) {}

  /** Teams of an organisation sorted by name (only `onlyId` for a principal acting for one team). */
  list(orgId: string, onlyId?: string | null): Promise<TeamEntity[]> {
    const query = this.teams.createQueryBuilder('t').where('t.org_id = :orgId', { orgId });
    if (onlyId) query.andWhere('t.id = :onlyId', { onlyId });
    return query.orderBy('t.name', 'ASC').addOrderBy('t.id', 'ASC').getMany();
  }

  /** By id, whatever its organisation (the cache loader). */
  findById(id: string): Promise<TeamEntity | null> {
    return this.teams.findOne({ where: { id } });
  }

  /** By id within `orgId` (null: any organisation, for the super-admin). */
  findInOrg(id: string, orgId: string | null): Promise<TeamEntity | null> {
    return this.teams.findOne({ where: orgId === null ? { id } : { id, orgId } });
  }

  findByName(orgId: string, name: string): Promise<TeamEntity | null> {
    return this.teams.findOne({ where: { orgId, name } });
  }

  async insert(team: Partial<TeamEntity>): Promise<TeamEntity> {
    const result = await this.teams.insert(team);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.teams.findOneOrFail({ where: { id } });
  }

  async update(id: string, changes: Partial<TeamEntity>): Promise<TeamEntity> {
    if (Object.keys(changes).length > 0) {
      await this.teams.update({ id }, changes as Parameters<Repository<TeamEntity>['update']>[1]);
    }
    return this.teams.findOneOrFail({ where: { id } });
  }

  /**
   * Deletes the team and returns the tokens that were in it (their `team_id` becomes null through
   * `fk_tokens_team`), read in the same transaction.
   */
  async delete(id: string): Promise<TokenRef[]> {
    return this.teams.manager.transaction(async (manager) => {
      const tokens: { id: string; project_id: string }[] = await manager.query(
        'SELECT id, project_id::text AS project_id FROM tokens WHERE team_id = $1 FOR UPDATE',
        [id],
      );
      await manager.delete(TeamEntity, { id });
      return tokens.map((t) => ({ id: t.id, projectId: t.project_id }));
    });
  }

  listMembers(teamId: string): Promise<TeamMemberRow[]> {
    return this.members.manager.query(
      `SELECT m.id, m.team_id AS "teamId", m.user_id AS "userId", m.role, m.source, m.oidc_provider_id AS "oidcProviderId",
              m.created_at AS "createdAt", u.email, u.name
         FROM team_members m JOIN users u ON u.id = m.user_id
        WHERE m.team_id = $1
        ORDER BY m.created_at ASC, m.id ASC`,
      [teamId],
    );
  }

  findMember(teamId: string, userId: string): Promise<TeamMemberEntity | null> {
    return this.members.findOne({ where: { teamId, userId } });
  }

  async insertMember(member: {
    teamId: string;
    userId: string;
    role: TeamMemberRole;
    source: TeamMemberSource;
    oidcProviderId?: string | null;
  }): Promise<TeamMemberEntity> {
    const result = await this.members.insert(member);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.members.findOneOrFail({ where: { id } });
  }

  /** True when a row was deleted. */
  async deleteMember(teamId: string, userId: string): Promise<boolean> {
    const result = await this.members.delete({ teamId, userId });
    return (result.affected ?? 0) > 0;
  }

  /** Whether the user exists in the organisation. */
  async userInOrg(userId: string, orgId: string): Promise<boolean> {
    const rows: unknown[] = await this.members.manager.query('SELECT 1 FROM users WHERE id = $1 AND org_id = $2', [userId, orgId]);
    return rows.length > 0;
  }

  /** Which of these ids name teams of the organisation. */
  async existingTeamIds(ids: readonly string[], orgId: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await this.teams.manager.query(
      'SELECT id::text AS id FROM teams WHERE id = ANY($1::uuid[]) AND org_id = $2',
      [Array.from(new Set(ids)), orgId],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** The last 30 daily rows, newest first. */
  lastSpend(teamId: string): Promise<TeamSpendEntity[]> {
    return this.spend.find({ where: { teamId }, order: { period: 'DESC' }, take: 30 });
  }
}
