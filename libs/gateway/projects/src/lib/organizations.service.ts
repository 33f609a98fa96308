import { Injectable } from '@nestjs/common';
import type { CreateOrganizationResponse, Organization } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import { ProjectsRepository } from './projects.repository';
import { isUniqueViolation } from './projects.service';

/** Organisations (super-admin only): each new one gets its own default project. */
@Injectable()
export class OrganizationsService {
  constructor(private readonly repository: ProjectsRepository) {}

  async list(): Promise<Organization[]> {
    const rows = await this.repository.listOrganizations();
    return rows.map((o) => ({ id: o.id, name: o.name, created_at: o.createdAt.toISOString() }));
  }

  async create(name: string): Promise<CreateOrganizationResponse> {
    const trimmed = name.trim();
    if (!trimmed) throw GatewayError.validation([{ path: '$.name', message: 'must not be blank' }]);
    try {
      const { organization, project } = await this.repository.insertOrganization(trimmed);
      return { id: organization.id, name: organization.name, default_project_id: project.id };
    } catch (error) {
      if (isUniqueViolation(error)) throw new GatewayError(ErrorCode.Conflict, `An organization named "${trimmed}" already exists`);
      throw error;
    }
  }
}
