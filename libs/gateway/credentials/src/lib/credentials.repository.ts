import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, QueryFailedError, type EntityManager, type FindOptionsSelect, type Repository } from 'typeorm';
import { CredentialEntity } from './entities/credential.entity';
import { RotationLogEntity } from './entities/rotation-log.entity';

/** Columns the Management API reads: everything except the ciphertext. */
const META_COLUMNS: (keyof CredentialEntity)[] = [
  'id',
  'projectId',
  'name',
  'provider',
  'injectionMode',
  'injectionHeader',
  'version',
  'isActive',
  'rotationEnabled',
  'rotationIntervalSecs',
  'lastRotatedAt',
  'createdAt',
  'updatedAt',
];

const META_SELECT = Object.fromEntries(META_COLUMNS.map((c) => [c, true])) as FindOptionsSelect<CredentialEntity>;

export const UNIQUE_NAME_INDEX = 'uq_credentials_project_name_active';

/** Metadata row without the encrypted columns. */
export type CredentialMetaRow = Pick<
  CredentialEntity,
  | 'id'
  | 'projectId'
  | 'name'
  | 'provider'
  | 'injectionMode'
  | 'injectionHeader'
  | 'version'
  | 'isActive'
  | 'rotationEnabled'
  | 'rotationIntervalSecs'
  | 'lastRotatedAt'
  | 'createdAt'
  | 'updatedAt'
>;

export type NewCredential = Omit<
  CredentialEntity,
  'id' | 'createdAt' | 'updatedAt' | 'deletedAt' | 'lastRotatedAt' | 'version' | 'isActive'
>;

/** Owns the queries on `credentials` and `rotation_log`. */
@Injectable()
export class CredentialsRepository {
  constructor(
    @InjectRepository(CredentialEntity) private readonly credentials: Repository<CredentialEntity>,
    @InjectRepository(RotationLogEntity) private readonly log: Repository<RotationLogEntity>,
  ) {}

  /** Inserts a credential; throws {@link isNameClash} errors on a duplicate live name. */
  async insert(row: NewCredential): Promise<CredentialMetaRow> {
    const saved = await this.credentials.save(this.credentials.create({ ...row, version: 1, isActive: true }));
    return saved;
  }

  /** Live credentials of a project, newest first (no ciphertext). */
  listByProject(projectId: string): Promise<CredentialMetaRow[]> {
    return this.credentials.find({
      select: META_SELECT,
      where: { projectId, deletedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
  }

  /**
   * A live credential by id, only if its project belongs to `orgId` (null: any organisation, for
   * superadmins). No ciphertext.
   */
  async findVisible(id: string, orgId: string | null): Promise<CredentialMetaRow | null> {
    const query = this.credentials
      .createQueryBuilder('c')
      .select(META_COLUMNS.map((c) => `c.${c}`))
      .where('c.id = :id', { id })
      .andWhere('c.deleted_at IS NULL');
    if (orgId !== null) query.innerJoin('projects', 'p', 'p.id = c.project_id').andWhere('p.org_id = :orgId', { orgId });
    return query.getOne();
  }

  /** Whether another live credential of the project has this name. */
  async nameTaken(projectId: string, name: string, exceptId?: string): Promise<boolean> {
    const query = this.credentials
      .createQueryBuilder('c')
      .where('c.project_id = :projectId', { projectId })
      .andWhere('c.name = :name', { name })
      .andWhere('c.deleted_at IS NULL');
    if (exceptId) query.andWhere('c.id <> :exceptId', { exceptId });
    return (await query.getCount()) > 0;
  }

  /** Applies a metadata change to a live credential; returns the updated row or null when gone. */
  async updateMeta(
    id: string,
    patch: Partial<Pick<CredentialEntity, 'name' | 'injectionMode' | 'injectionHeader' | 'rotationEnabled' | 'rotationIntervalSecs'>>,
  ): Promise<CredentialMetaRow | null> {
    if (Object.keys(patch).length > 0) {
      await this.credentials.update({ id, deletedAt: IsNull() }, patch);
    }
    return this.credentials.findOne({ select: META_SELECT, where: { id, deletedAt: IsNull() } });
  }

  /** Soft delete; true when a live row was deleted. */
  async softDelete(id: string): Promise<boolean> {
    const result = await this.credentials.update({ id, deletedAt: IsNull() }, { isActive: false, deletedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  /** The full live row (ciphertext included), locked for update within `manager`'s transaction. */
  lockForRotation(manager: EntityManager, id: string): Promise<CredentialEntity | null> {
    return manager
      .getRepository(CredentialEntity)
      .createQueryBuilder('c')
      .where('c.id = :id', { id })
      .andWhere('c.deleted_at IS NULL')
      .setLock('pessimistic_write')
      .getOne();
  }

  /** Stores a new sealed secret and bumps the version (inside the rotation transaction). */
  async saveRotation(
    manager: EntityManager,
    id: string,
    sealed: Pick<CredentialEntity, 'encryptedDek' | 'dekNonce' | 'encryptedSecret' | 'secretNonce' | 'kekId'>,
    version: number,
    rotatedAt: Date,
  ): Promise<void> {
    await manager.getRepository(CredentialEntity).update({ id }, { ...sealed, version, lastRotatedAt: rotatedAt });
  }

  async insertRotationLog(
    row: Pick<RotationLogEntity, 'credentialId' | 'oldVersion' | 'newVersion' | 'trigger' | 'status' | 'error' | 'rotatedAt'>,
    manager?: EntityManager,
  ): Promise<void> {
    const repository = manager ? manager.getRepository(RotationLogEntity) : this.log;
    await repository.insert(row);
  }

  /** Rotation history of a credential, newest first. */
  rotationLog(credentialId: string): Promise<RotationLogEntity[]> {
    return this.log.find({ where: { credentialId }, order: { rotatedAt: 'DESC' } });
  }

  /**
   * Ids of live credentials due for scheduled rotation (vault-and-spend.md §3): `rotation_enabled`,
   * an interval set, and `last_rotated_at` (else `created_at`) + `rotation_interval_secs` passed,
   * by the database clock; longest overdue first. Runs on `manager`'s connection.
   */
  async findDueForRotation(manager: EntityManager, limit: number, excludeIds: readonly string[] = []): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT "id" FROM "credentials"
        WHERE "rotation_enabled" = true AND "deleted_at" IS NULL AND "is_active" = true
          AND "rotation_interval_secs" IS NOT NULL
          AND COALESCE("last_rotated_at", "created_at") + make_interval(secs => "rotation_interval_secs") <= now()
          AND NOT ("id" = ANY($2::uuid[]))
        ORDER BY COALESCE("last_rotated_at", "created_at") + make_interval(secs => "rotation_interval_secs"), "id"
        LIMIT $1`,
      [limit, excludeIds],
    );
    return rows.map((r) => r.id);
  }

  /** Name, version and project of the live credentials among `ids` (for events after a re-wrap). */
  findEventFields(ids: readonly string[]): Promise<Pick<CredentialEntity, 'id' | 'name' | 'version' | 'projectId'>[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.credentials.find({
      select: { id: true, name: true, version: true, projectId: true },
      where: { id: In([...ids]), deletedAt: IsNull() },
    });
  }

  /** The row the proxy needs (metadata + ciphertext), active or not; null when missing or deleted. */
  findForProxy(id: string): Promise<CredentialEntity | null> {
    return this.credentials.findOne({ where: { id, deletedAt: IsNull() } });
  }
}

/** A unique-violation on the live-name index. */
export function isNameClash(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driver = error.driverError as { code?: string; constraint?: string } | undefined;
  return driver?.code === '23505' && driver.constraint === UNIQUE_NAME_INDEX;
}
