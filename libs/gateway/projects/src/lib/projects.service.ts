import { Injectable } from '@nestjs/common';
import type { ProjectSummary } from '@ailink/shared-contracts';
import type { Principal } from '@ailink/gateway-core';
import { ProjectsRepository } from './projects.repository';

@Injectable()
export class ProjectsService {
  constructor(private readonly repository: ProjectsRepository) {}

  async list(principal: Principal): Promise<ProjectSummary[]> {
    const rows = await this.repository.listForOrg(principal.orgId);
    return rows.map((p) => ({ id: p.id, name: p.name, org_id: p.orgId, created_at: p.createdAt.toISOString() }));
  }
}
