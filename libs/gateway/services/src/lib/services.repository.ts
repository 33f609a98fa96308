import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ServiceEntity } from './entities/service.entity';

/** Unique index on active service names (per project). */
export const SERVICE_NAME_INDEX = 'uq_services_project_name_active';

/** Owns the queries on `services` (and the credential existence check). */
@Injectable()
export class ServicesRepository {
  constructor(@InjectRepository(ServiceEntity) private readonly services: Repository<ServiceEntity>) {}

  listForProject(projectId: string): Promise<ServiceEntity[]> {
    return this.services.find({ where: { projectId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  /** By id, only when its project belongs to `orgId` (null: any organisation, for superadmins). */
  findInOrg(id: string, orgId: string | null): Promise<ServiceEntity | null> {
    const query = this.services.createQueryBuilder('s').where('s.id = :id', { id });
    if (orgId !== null) query.andWhere('s.project_id IN (SELECT p.id FROM projects p WHERE p.org_id = :orgId)', { orgId });
    return query.getOne();
  }

  /** The active service of that name in the project (what the proxy resolves). */
  findActiveByName(projectId: string, name: string): Promise<ServiceEntity | null> {
    return this.services.findOne({ where: { projectId, name, isActive: true } });
  }

  async insert(service: Partial<ServiceEntity>): Promise<ServiceEntity> {
    const result = await this.services.insert(service);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.services.findOneOrFail({ where: { id } });
  }

  async update(id: string, changes: Partial<ServiceEntity>): Promise<ServiceEntity> {
    if (Object.keys(changes).length > 0) {
      await this.services.update({ id }, changes as Parameters<Repository<ServiceEntity>['update']>[1]);
    }
    return this.services.findOneOrFail({ where: { id } });
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.services.delete({ id });
    return (result.affected ?? 0) > 0;
  }

  /** Whether an active credential with this id exists in the project. */
  async credentialExists(credentialId: string, projectId: string): Promise<boolean> {
    const rows: unknown[] = await this.services.manager.query(
      'SELECT 1 FROM credentials WHERE id = $1::uuid AND project_id = $2 AND is_active',
      [credentialId, projectId],
    );
    return rows.length > 0;
  }
}
