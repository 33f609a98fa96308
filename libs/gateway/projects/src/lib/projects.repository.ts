import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { OrganizationEntity } from './entities/organization.entity';
import { ProjectEntity } from './entities/project.entity';

/** What a project still holds that blocks its deletion (identity.md §8). */
export interface ProjectContents {
  tokens: number;
  credentials: number;
  policies: number;
  services: number;
}

/** Live rows of each kind that blocks a project's deletion; tables of features not installed yet count 0. */
const CONTENT_QUERIES: Readonly<Record<keyof ProjectContents, string>> = {
  tokens: 'SELECT count(*)::int AS n FROM tokens WHERE project_id = $1 AND is_active',
  credentials: 'SELECT count(*)::int AS n FROM credentials WHERE project_id = $1 AND deleted_at IS NULL',
  policies: 'SELECT count(*)::int AS n FROM policies WHERE project_id = $1 AND is_active',
  services: 'SELECT count(*)::int AS n FROM services WHERE project_id = $1 AND is_active',
};

const CONTENT_TABLES: Readonly<Record<keyof ProjectContents, string>> = {
  tokens: 'tokens',
  credentials: 'credentials',
  policies: 'policies',
  services: 'services',
};

/**
 * What `POST /projects/{id}/purge` deletes (identity.md §8): audit records and bodies, sessions,
 * approvals, notifications, usage rows and PII vault entries, children before parents. Each
 * statement runs only if its table exists (features land over time).
 */
const PURGE_STATEMENTS: readonly { table: string; sql: string }[] = [
  {
    table: 'audit_log_bodies',
    sql: `DELETE FROM audit_log_bodies b USING audit_logs a
           WHERE a.project_id = $1 AND b.audit_log_id = a.id AND b.created_at = a.created_at`,
  },
  {
    table: 'tool_call_details',
    sql: `DELETE FROM tool_call_details d USING audit_logs a WHERE a.project_id = $1 AND d.audit_log_id = a.id`,
  },
  { table: 'pii_token_vault', sql: 'DELETE FROM pii_token_vault WHERE project_id = $1' },
  { table: 'audit_logs', sql: 'DELETE FROM audit_logs WHERE project_id = $1' },
  { table: 'sessions', sql: 'DELETE FROM sessions WHERE project_id = $1' },
  { table: 'approval_requests', sql: 'DELETE FROM approval_requests WHERE project_id = $1' },
  { table: 'notifications', sql: 'DELETE FROM notifications WHERE project_id = $1' },
  { table: 'token_spend', sql: 'DELETE FROM token_spend WHERE token_id IN (SELECT id FROM tokens WHERE project_id = $1)' },
  { table: 'project_spend', sql: 'DELETE FROM project_spend WHERE project_id = $1' },
];

/** Owns the queries on `organizations` and `projects`. */
@Injectable()
export class ProjectsRepository {
  constructor(
    @InjectRepository(ProjectEntity) private readonly projects: Repository<ProjectEntity>,
    @InjectRepository(OrganizationEntity) private readonly organizations: Repository<OrganizationEntity>,
  ) {}

  listForOrg(orgId: string): Promise<ProjectEntity[]> {
    return this.projects.find({ where: { orgId }, order: { createdAt: 'ASC', name: 'ASC' } });
  }

  /** By id, only in `orgId` (null: any organisation, for the super-admin). */
  findInOrg(id: string, orgId: string | null): Promise<ProjectEntity | null> {
    return this.projects.findOne({ where: orgId === null ? { id } : { id, orgId } });
  }

  /** Inserts a project; rejects with PostgreSQL's unique violation (23505) on a name clash. */
  async insertProject(orgId: string, name: string): Promise<ProjectEntity> {
    const result = await this.projects.insert({ orgId, name, isDefault: false });
    return this.projects.findOneOrFail({ where: { id: (result.identifiers[0] as { id: string }).id } });
  }

  /** Renames; rejects with 23505 on a clash. Null when the project vanished. */
  async rename(id: string, name: string): Promise<ProjectEntity | null> {
    await this.projects.update({ id }, { name });
    return this.projects.findOne({ where: { id } });
  }

  async contents(projectId: string): Promise<ProjectContents> {
    const contents: ProjectContents = { tokens: 0, credentials: 0, policies: 0, services: 0 };
    const present = await this.existingTables(Object.values(CONTENT_TABLES), this.projects.manager);
    for (const kind of Object.keys(CONTENT_QUERIES) as (keyof ProjectContents)[]) {
      if (!present.has(CONTENT_TABLES[kind])) continue;
      const rows: { n: number }[] = await this.projects.manager.query(CONTENT_QUERIES[kind], [projectId]);
      contents[kind] = rows[0]?.n ?? 0;
    }
    return contents;
  }

  /** Deletes the project (its inactive rows cascade). True when a row was deleted. */
  async deleteProject(id: string): Promise<boolean> {
    const result = await this.projects.delete({ id, isDefault: false });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Deletes the project's runtime records in one transaction, after recording an audit-chain anchor
   * (the chain head at the time of the purge) when the anchors table exists. Returns the row count.
   */
  async purge(projectId: string): Promise<number> {
    return this.projects.manager.transaction(async (tx) => {
      const present = await this.existingTables(['audit_chain_heads', 'audit_chain_anchors', ...PURGE_STATEMENTS.map((s) => s.table)], tx);
      if (present.has('audit_chain_heads') && present.has('audit_chain_anchors')) {
        await tx.query(
          `INSERT INTO audit_chain_anchors (project_id, seq, hash, reason)
           SELECT project_id, last_seq, last_hash, 'purge' FROM audit_chain_heads WHERE project_id = $1`,
          [projectId],
        );
      }
      let deleted = 0;
      for (const statement of PURGE_STATEMENTS) {
        if (!present.has(statement.table)) continue;
        if (statement.table === 'audit_log_bodies' || statement.table === 'tool_call_details') {
          if (!present.has('audit_logs')) continue;
        }
        const result: [unknown[], number] = await tx.query(statement.sql, [projectId]);
        deleted += Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
      }
      return deleted;
    });
  }

  listOrganizations(): Promise<OrganizationEntity[]> {
    return this.organizations.find({ order: { createdAt: 'ASC', name: 'ASC' } });
  }

  /**
   * An organisation and its default project, in one transaction. Rejects with 23505 on a name clash.
   */
  async insertOrganization(name: string): Promise<{ organization: OrganizationEntity; project: ProjectEntity }> {
    return this.organizations.manager.transaction(async (tx) => {
      const org = await tx.insert(OrganizationEntity, { name });
      const orgId = (org.identifiers[0] as { id: string }).id;
      const project = await tx.insert(ProjectEntity, { orgId, name: 'default', isDefault: true });
      const projectId = (project.identifiers[0] as { id: string }).id;
      return {
        organization: await tx.findOneOrFail(OrganizationEntity, { where: { id: orgId } }),
        project: await tx.findOneOrFail(ProjectEntity, { where: { id: projectId } }),
      };
    });
  }

  private async existingTables(tables: readonly string[], manager: EntityManager): Promise<Set<string>> {
    const rows: { name: string }[] = await manager.query(
      `SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass('public.' || quote_ident(t)) IS NOT NULL`,
      [Array.from(new Set(tables))],
    );
    return new Set(rows.map((r) => r.name));
  }
}
