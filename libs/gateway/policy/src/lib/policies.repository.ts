import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, ObjectLiteral, Repository } from 'typeorm';
import type { PolicyDocument } from './engine/policy-compiler';
import { PolicyVersionEntity } from './entities/policy-version.entity';
import { PolicyEntity } from './entities/policy.entity';

/** TypeORM's insert/update value type (jsonb columns holding arrays do not fit its deep-partial typing). */
type Insertable<T extends ObjectLiteral> = Parameters<Repository<T>['update']>[1];

/** Unique index on active policy names (per project). */
export const POLICY_NAME_INDEX = 'uq_policies_project_name_active';

/** A token whose `policy_ids` changed. */
export interface DetachedToken {
  id: string;
  projectId: string;
}

function documentColumns(
  doc: PolicyDocument,
): Pick<PolicyEntity, 'name' | 'mode' | 'phase' | 'rules' | 'retry' | 'bufferStreamingForPostFlight'> {
  return {
    name: doc.name,
    mode: doc.mode,
    phase: doc.phase,
    rules: doc.rules,
    retry: doc.retry,
    bufferStreamingForPostFlight: doc.buffer_streaming_for_post_flight,
  };
}

/** Owns the queries on `policies` and `policy_versions` (and the references a policy checks). */
@Injectable()
export class PoliciesRepository {
  constructor(
    @InjectRepository(PolicyEntity) private readonly policies: Repository<PolicyEntity>,
    @InjectRepository(PolicyVersionEntity) private readonly versions: Repository<PolicyVersionEntity>,
  ) {}

  /** Newest first. */
  listForProject(projectId: string, includeInactive: boolean): Promise<PolicyEntity[]> {
    return this.policies.find({
      where: includeInactive ? { projectId } : { projectId, isActive: true },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** By id, whatever its state (the cache loader uses this). */
  findById(id: string): Promise<PolicyEntity | null> {
    return this.policies.findOne({ where: { id } });
  }

  /** By id, only when its project belongs to `orgId` (null: any organisation, for superadmins). */
  findInOrg(id: string, orgId: string | null): Promise<PolicyEntity | null> {
    const query = this.policies.createQueryBuilder('p').where('p.id = :id', { id });
    if (orgId !== null) query.andWhere('p.project_id IN (SELECT pr.id FROM projects pr WHERE pr.org_id = :orgId)', { orgId });
    return query.getOne();
  }

  findActiveByName(projectId: string, name: string): Promise<PolicyEntity | null> {
    return this.policies.findOne({ where: { projectId, name, isActive: true } });
  }

  /** Inserts the policy (version 1) and its first version row, in one transaction. */
  create(projectId: string, doc: PolicyDocument, changedBy: string | null): Promise<PolicyEntity> {
    return this.policies.manager.transaction(async (manager) => {
      const result = await manager.insert(PolicyEntity, {
        projectId,
        ...documentColumns(doc),
        version: 1,
        isActive: true,
      } as Insertable<PolicyEntity>);
      const id = (result.identifiers[0] as { id: string }).id;
      const row = await manager.findOneOrFail(PolicyEntity, { where: { id } });
      await this.insertVersion(manager, row, changedBy);
      return row;
    });
  }

  /**
   * Replaces the document of an active policy, increments `version` and records the version row,
   * in one transaction (the row is locked, so concurrent updates get consecutive versions).
   * Null when the policy is gone or inactive.
   */
  update(id: string, doc: PolicyDocument, changedBy: string | null): Promise<PolicyEntity | null> {
    return this.policies.manager.transaction(async (manager) => {
      const current = await manager.findOne(PolicyEntity, { where: { id, isActive: true }, lock: { mode: 'pessimistic_write' } });
      if (!current) return null;
      await manager.update(PolicyEntity, { id }, { ...documentColumns(doc), version: current.version + 1 } as Insertable<PolicyEntity>);
      const row = await manager.findOneOrFail(PolicyEntity, { where: { id } });
      await this.insertVersion(manager, row, changedBy);
      return row;
    });
  }

  /**
   * Soft delete: `is_active = false`, and the id is removed from every token's `policy_ids`, in one
   * transaction. Returns the tokens that changed (null when the policy was not active).
   */
  deactivate(id: string): Promise<DetachedToken[] | null> {
    return this.policies.manager.transaction(async (manager) => {
      const result = await manager.update(PolicyEntity, { id, isActive: true }, { isActive: false });
      if ((result.affected ?? 0) === 0) return null;
      const rows: { id: string; project_id: string }[] = await manager.query(
        // A CTE so that the driver answers rows (a bare UPDATE … RETURNING answers [rows, count]).
        `WITH changed AS (
           UPDATE tokens SET policy_ids = array_remove(policy_ids, $1::uuid), updated_at = now()
            WHERE $1::uuid = ANY(policy_ids) RETURNING id, project_id
         ) SELECT id, project_id FROM changed`,
        [id],
      );
      return rows.map((r) => ({ id: r.id, projectId: r.project_id }));
    });
  }

  /** Newest first. */
  listVersions(policyId: string): Promise<PolicyVersionEntity[]> {
    return this.versions.find({ where: { policyId }, order: { version: 'DESC' } });
  }

  /** The ids among `ids` that are not active credentials of the project. */
  async missingCredentials(ids: readonly string[], projectId: string): Promise<string[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const rows: { id: string }[] = await this.policies.manager.query(
      'SELECT id::text AS id FROM credentials WHERE id = ANY($1::uuid[]) AND project_id = $2 AND is_active AND deleted_at IS NULL',
      [unique, projectId],
    );
    const found = new Set(rows.map((r) => r.id));
    return unique.filter((id) => !found.has(id));
  }

  private async insertVersion(manager: EntityManager, row: PolicyEntity, changedBy: string | null): Promise<void> {
    const version: Partial<PolicyVersionEntity> = {
      policyId: row.id,
      version: row.version,
      name: row.name,
      mode: row.mode,
      phase: row.phase,
      rules: row.rules,
      retry: row.retry,
      bufferStreamingForPostFlight: row.bufferStreamingForPostFlight,
      changedBy,
    };
    await manager.insert(PolicyVersionEntity, version as Insertable<PolicyVersionEntity>);
  }
}
