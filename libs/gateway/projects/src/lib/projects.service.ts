import { Injectable } from '@nestjs/common';
import type { ProjectRef, ProjectSummary, PurgeProjectResponse } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';
import type { ProjectEntity } from './entities/project.entity';
import { ProjectsRepository, type ProjectContents } from './projects.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** PostgreSQL unique violation: a name clash. */
export function isUniqueViolation(error: unknown): boolean {
  return (
    (error as { code?: string } | null)?.code === '23505' ||
    (error as { driverError?: { code?: string } } | null)?.driverError?.code === '23505'
  );
}

function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? (error as { driverError?: { code?: string } } | null)?.driverError?.code;
  return code === '23503';
}

const CONTENT_NAMES: Readonly<Record<keyof ProjectContents, [string, string]>> = {
  tokens: ['token', 'tokens'],
  credentials: ['credential', 'credentials'],
  policies: ['policy', 'policies'],
  services: ['service', 'services'],
};

/** "2 tokens and 1 service" for the 409 message. */
export function describeContents(contents: ProjectContents): string {
  const parts = (Object.keys(CONTENT_NAMES) as (keyof ProjectContents)[])
    .filter((kind) => contents[kind] > 0)
    .map((kind) => `${contents[kind]} ${CONTENT_NAMES[kind][contents[kind] === 1 ? 0 : 1]}`);
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/**
 * The rules of projects (identity.md §8): every project belongs to one organisation and is visible
 * only to it (the super-admin excepted); another organisation's project answers 404.
 */
@Injectable()
export class ProjectsService {
  constructor(private readonly repository: ProjectsRepository) {}

  async list(principal: Principal): Promise<ProjectSummary[]> {
    const rows = await this.repository.listForOrg(principal.orgId);
    return rows.map((p) => ({ id: p.id, name: p.name, org_id: p.orgId, created_at: p.createdAt.toISOString() }));
  }

  async create(principal: Principal, name: string): Promise<ProjectRef> {
    const trimmed = this.checkName(name);
    try {
      const row = await this.repository.insertProject(principal.orgId, trimmed);
      return { id: row.id, name: row.name };
    } catch (error) {
      if (isUniqueViolation(error)) throw new GatewayError(ErrorCode.Conflict, `A project named "${trimmed}" already exists`);
      throw error;
    }
  }

  async rename(principal: Principal, id: string, name: string): Promise<ProjectRef> {
    const project = await this.findVisible(principal, id);
    const trimmed = this.checkName(name);
    try {
      const row = await this.repository.rename(project.id, trimmed);
      if (!row) throw GatewayError.notFound('Project');
      return { id: row.id, name: row.name };
    } catch (error) {
      if (isUniqueViolation(error)) throw new GatewayError(ErrorCode.Conflict, `A project named "${trimmed}" already exists`);
      throw error;
    }
  }

  /** 204 when empty; 400 for a default project; 409 naming what remains. */
  async delete(principal: Principal, id: string): Promise<void> {
    const project = await this.findVisible(principal, id);
    if (project.isDefault) throw new GatewayError(ErrorCode.BadRequest, 'The default project cannot be deleted');
    const contents = await this.repository.contents(project.id);
    const remaining = describeContents(contents);
    if (remaining) throw new GatewayError(ErrorCode.Conflict, `The project still holds ${remaining}: delete or revoke them first`);
    try {
      if (!(await this.repository.deleteProject(project.id))) throw GatewayError.notFound('Project');
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new GatewayError(ErrorCode.Conflict, 'The project is still referenced and cannot be deleted');
      throw error;
    }
  }

  /** Irreversibly deletes the project's runtime records; keeps the project and its configuration. */
  async purge(principal: Principal, id: string): Promise<PurgeProjectResponse> {
    const project = await this.findVisible(principal, id);
    const rowsDeleted = await this.repository.purge(project.id);
    return { status: 'purged', project_id: project.id, rows_deleted: rowsDeleted };
  }

  private async findVisible(principal: Principal, id: string): Promise<ProjectEntity> {
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'The project id must be a UUID');
    const row = await this.repository.findInOrg(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    if (!row) throw GatewayError.notFound('Project');
    return row;
  }

  private checkName(name: string): string {
    const trimmed = name.trim();
    if (!trimmed) throw GatewayError.validation([{ path: '$.name', message: 'must not be blank' }]);
    return trimmed;
  }
}
