import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ModelAccessGroupEntity } from '../entities/model-access-group.entity';

export const MODEL_GROUP_NAME_INDEX = 'uq_model_access_groups_project_name';

/** Owns the queries on `model_access_groups`. */
@Injectable()
export class ModelAccessGroupsRepository {
  constructor(@InjectRepository(ModelAccessGroupEntity) private readonly groups: Repository<ModelAccessGroupEntity>) {}

  listForProject(projectId: string): Promise<ModelAccessGroupEntity[]> {
    return this.groups.find({ where: { projectId }, order: { name: 'ASC', id: 'ASC' } });
  }

  /** By id, whatever its project (the cache loader). */
  findById(id: string): Promise<ModelAccessGroupEntity | null> {
    return this.groups.findOne({ where: { id } });
  }

  /** By id, only when its project belongs to `orgId` (null: any organisation, for the super-admin). */
  findInOrg(id: string, orgId: string | null): Promise<ModelAccessGroupEntity | null> {
    const query = this.groups.createQueryBuilder('g').where('g.id = :id', { id });
    if (orgId !== null) query.andWhere('g.project_id IN (SELECT p.id FROM projects p WHERE p.org_id = :orgId)', { orgId });
    return query.getOne();
  }

  findByName(projectId: string, name: string): Promise<ModelAccessGroupEntity | null> {
    return this.groups.findOne({ where: { projectId, name } });
  }

  async insert(group: Partial<ModelAccessGroupEntity>): Promise<ModelAccessGroupEntity> {
    const result = await this.groups.insert(group);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.groups.findOneOrFail({ where: { id } });
  }

  async update(id: string, changes: Partial<ModelAccessGroupEntity>): Promise<ModelAccessGroupEntity> {
    if (Object.keys(changes).length > 0) {
      await this.groups.update({ id }, changes as Parameters<Repository<ModelAccessGroupEntity>['update']>[1]);
    }
    return this.groups.findOneOrFail({ where: { id } });
  }

  async delete(id: string): Promise<void> {
    await this.groups.delete({ id });
  }
}
