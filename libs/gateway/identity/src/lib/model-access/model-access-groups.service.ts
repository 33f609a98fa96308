import { Injectable } from '@nestjs/common';
import type { ModelAccessGroup, ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import type { ModelAccessGroupEntity } from '../entities/model-access-group.entity';
import { isUniqueViolation, uuidParam } from '../identity-util';
import { ModelAccessCache } from './model-access-cache';
import type { CreateModelAccessGroupDto, ModelAccessGroupsQueryDto, UpdateModelAccessGroupDto } from './model-access-groups.dto';
import { MODEL_GROUP_NAME_INDEX, ModelAccessGroupsRepository } from './model-access-groups.repository';
import { modelPatternProblems } from './model-glob';

/** The Group object (identity.md §7). */
export function toModelAccessGroupResponse(row: ModelAccessGroupEntity): ModelAccessGroup {
  return {
    id: row.id,
    project_id: row.projectId,
    name: row.name,
    description: row.description,
    models: row.models ?? [],
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/**
 * Model access groups (identity.md §7): project-level named lists of model globs that tokens join
 * through `allowed_model_group_ids`. Unique names per project (409). Every write invalidates the group
 * in the cache tiers, so the proxy's model check sees it on every instance within 1 s.
 */
@Injectable()
export class ModelAccessGroupsService {
  constructor(
    private readonly repository: ModelAccessGroupsRepository,
    private readonly scope: ProjectScope,
    private readonly cache: ModelAccessCache,
  ) {}

  async list(principal: Principal, query: ModelAccessGroupsQueryDto): Promise<ModelAccessGroup[]> {
    const projectId = await this.scope.resolve(principal, query.project_id);
    return (await this.repository.listForProject(projectId)).map(toModelAccessGroupResponse);
  }

  async get(principal: Principal, id: string): Promise<ModelAccessGroup> {
    return toModelAccessGroupResponse(await this.findVisible(principal, id));
  }

  async create(principal: Principal, dto: CreateModelAccessGroupDto): Promise<ModelAccessGroup> {
    const projectId = await this.scope.resolve(principal, dto.project_id);
    const name = dto.name.trim();
    const problems: ValidationProblem[] = [...modelPatternProblems(dto.models, '$.models')];
    if (name === '') problems.push({ path: '$.name', message: 'must not be blank' });
    if (problems.length > 0) throw GatewayError.validation(problems);
    if (await this.repository.findByName(projectId, name)) throw this.conflict(name);
    let row: ModelAccessGroupEntity;
    try {
      row = await this.repository.insert({
        projectId,
        name,
        description: dto.description ?? null,
        models: dto.models.map((m) => m.trim()),
      });
    } catch (error) {
      throw isUniqueViolation(error, MODEL_GROUP_NAME_INDEX) ? this.conflict(name) : error;
    }
    await this.cache.invalidateGroup(row.id, row.projectId);
    return toModelAccessGroupResponse(row);
  }

  async update(principal: Principal, id: string, dto: UpdateModelAccessGroupDto): Promise<ModelAccessGroup> {
    const current = await this.findVisible(principal, id);
    const problems: ValidationProblem[] = [];
    if (dto.name === null) problems.push({ path: '$.name', message: 'must not be null' });
    if (dto.models === null) problems.push({ path: '$.models', message: 'must not be null' });
    if (typeof dto.name === 'string' && dto.name.trim() === '') problems.push({ path: '$.name', message: 'must not be blank' });
    if (Array.isArray(dto.models)) problems.push(...modelPatternProblems(dto.models, '$.models'));
    if (problems.length > 0) throw GatewayError.validation(problems);

    const changes: Partial<ModelAccessGroupEntity> = {};
    if (typeof dto.name === 'string') changes.name = dto.name.trim();
    if (dto.description !== undefined) changes.description = dto.description;
    if (Array.isArray(dto.models)) changes.models = dto.models.map((m) => m.trim());
    if (changes.name !== undefined && changes.name !== current.name) {
      const clash = await this.repository.findByName(current.projectId, changes.name);
      if (clash && clash.id !== current.id) throw this.conflict(changes.name);
    }
    let row: ModelAccessGroupEntity;
    try {
      row = await this.repository.update(current.id, changes);
    } catch (error) {
      throw isUniqueViolation(error, MODEL_GROUP_NAME_INDEX) ? this.conflict(changes.name ?? current.name) : error;
    }
    await this.cache.invalidateGroup(row.id, row.projectId);
    return toModelAccessGroupResponse(row);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    const current = await this.findVisible(principal, id);
    await this.repository.delete(current.id);
    await this.cache.invalidateGroup(current.id, current.projectId);
  }

  private async findVisible(principal: Principal, id: string): Promise<ModelAccessGroupEntity> {
    const row = await this.repository.findInOrg(
      uuidParam(id, 'model access group'),
      principal.role === 'superadmin' ? null : principal.orgId,
    );
    if (!row) throw GatewayError.notFound('Model access group');
    return row;
  }

  private conflict(name: string): GatewayError {
    return new GatewayError(ErrorCode.Conflict, `A model access group named '${name}' already exists in this project`);
  }
}
