import { Injectable } from '@nestjs/common';
import type { ProjectSummary } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { ProjectsRepository } from './projects.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Before/after snapshots of a project for the admin audit trail: `{id, name, org_id, created_at}`
 * as `GET /projects` lists it, when the caller may see it (any organisation's for the super-admin).
 */
@Injectable()
@AdminAuditSnapshot({ kind: 'project', routes: ['/projects', '/projects/:id'] })
export class ProjectAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly projects: ProjectsRepository) {}

  async snapshot(principal: Principal, id: string): Promise<ProjectSummary | null> {
    if (!UUID.test(id)) return null;
    const row = await this.projects.findInOrg(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    return row ? { id: row.id, name: row.name, org_id: row.orgId, created_at: row.createdAt.toISOString() } : null;
  }
}
