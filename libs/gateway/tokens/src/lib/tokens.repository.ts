import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TokenEntity } from './entities/token.entity';

export interface TokenListFilter {
  projectId: string;
  teamId?: string;
  includeInactive: boolean;
  limit: number;
  offset: number;
}

/** Tables a token may reference, and how a row of each is scoped. */
type ReferencedTable = 'credentials' | 'policies' | 'model_access_groups' | 'teams';

const REFERENCE_QUERIES: Readonly<Record<ReferencedTable, string>> = {
  credentials: 'SELECT id::text AS id FROM credentials WHERE id = ANY($1::uuid[]) AND project_id = $2 AND is_active',
  policies: 'SELECT id::text AS id FROM policies WHERE id = ANY($1::uuid[]) AND project_id = $2 AND is_active',
  model_access_groups: 'SELECT id::text AS id FROM model_access_groups WHERE id = ANY($1::uuid[]) AND project_id = $2',
  teams: 'SELECT t.id::text AS id FROM teams t JOIN projects p ON p.org_id = t.org_id WHERE t.id = ANY($1::uuid[]) AND p.id = $2',
};

/** Tables that belong to this release: their absence is an error, not "not installed yet". */
const REQUIRED_TABLES: ReadonlySet<ReferencedTable> = new Set(['credentials']);

/** Owns the queries on `tokens` (and the existence checks of what a token references). */
@Injectable()
export class TokensRepository {
  private readonly logger = new Logger(TokensRepository.name);
  /** Optional tables found present (positive results only: a later migration may add one). */
  private readonly presentTables = new Set<ReferencedTable>();

  constructor(@InjectRepository(TokenEntity) private readonly tokens: Repository<TokenEntity>) {}

  /** By public id, whatever its state (the resolve stage and the cache loader use this). */
  findById(id: string): Promise<TokenEntity | null> {
    return this.tokens.findOne({ where: { id } });
  }

  /** By public id, only when its project belongs to `orgId` (null: any organisation, for superadmins). */
  findInOrg(id: string, orgId: string | null): Promise<TokenEntity | null> {
    const query = this.tokens.createQueryBuilder('t').where('t.id = :id', { id });
    if (orgId !== null) query.andWhere('t.project_id IN (SELECT p.id FROM projects p WHERE p.org_id = :orgId)', { orgId });
    return query.getOne();
  }

  list(filter: TokenListFilter): Promise<TokenEntity[]> {
    const query = this.tokens.createQueryBuilder('t').where('t.project_id = :projectId', { projectId: filter.projectId });
    if (!filter.includeInactive) query.andWhere('t.is_active = true');
    if (filter.teamId) query.andWhere('t.team_id = :teamId', { teamId: filter.teamId });
    return query.orderBy('t.created_at', 'DESC').addOrderBy('t.id', 'DESC').limit(filter.limit).offset(filter.offset).getMany();
  }

  async insert(token: Partial<TokenEntity>): Promise<TokenEntity> {
    await this.tokens.insert(token);
    return this.tokens.findOneOrFail({ where: { id: token.id } });
  }

  async update(id: string, changes: Partial<TokenEntity>): Promise<TokenEntity> {
    if (Object.keys(changes).length > 0) {
      await this.tokens.update({ id }, changes as Parameters<Repository<TokenEntity>['update']>[1]);
    }
    return this.tokens.findOneOrFail({ where: { id } });
  }

  /** Revokes: `is_active = false`. True when this call changed it. */
  async deactivate(id: string): Promise<boolean> {
    const result = await this.tokens.update({ id, isActive: true }, { isActive: false });
    return (result.affected ?? 0) > 0;
  }

  /**
   * The ids among `ids` that do not name a live row of `table` in the project. Tables of features
   * not installed yet (no such table) are not checked.
   */
  async missingReferences(table: ReferencedTable, ids: readonly string[], projectId: string): Promise<string[]> {
    const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
    if (unique.length === 0) return [];
    if (!REQUIRED_TABLES.has(table) && !(await this.tableExists(table))) return [];
    const rows: { id: string }[] = await this.tokens.manager.query(REFERENCE_QUERIES[table], [unique, projectId]);
    const found = new Set(rows.map((r) => r.id.toLowerCase()));
    return unique.filter((id) => !found.has(id));
  }

  private async tableExists(table: ReferencedTable): Promise<boolean> {
    if (this.presentTables.has(table)) return true;
    const rows: { present: boolean }[] = await this.tokens.manager.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [
      `public.${table}`,
    ]);
    const present = rows[0]?.present === true;
    if (present) this.presentTables.add(table);
    else this.logger.debug(`Table ${table} does not exist yet: references to it are not checked`);
    return present;
  }
}
