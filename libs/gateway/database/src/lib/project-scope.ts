import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DEFAULT_PROJECT_ID } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves the `project_id` a management call acts on (spec README, "Project scoping"): the given
 * one or the default project; a project outside the caller's organisation answers 404 exactly
 * like a missing one. Superadmins may act on any organisation's projects (identity.md §2).
 */
@Injectable()
export class ProjectScope {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async resolve(principal: Principal, projectId?: string | null): Promise<string> {
    const id = projectId ?? DEFAULT_PROJECT_ID;
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'project_id must be a UUID');
    const rows: unknown[] =
      principal.role === 'superadmin'
        ? await this.dataSource.query('SELECT 1 FROM projects WHERE id = $1', [id])
        : await this.dataSource.query('SELECT 1 FROM projects WHERE id = $1 AND org_id = $2', [id, principal.orgId]);
    if (rows.length === 0) throw GatewayError.notFound('Project');
    return id.toLowerCase();
  }
}
