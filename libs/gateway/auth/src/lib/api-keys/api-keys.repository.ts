import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';

/** What a revocation checks inside its transaction, with the organisation locked. */
export type RevocationCheck = (key: ApiKeyEntity, otherActiveAdminKeys: number) => void;

/** Owns the queries on `api_keys` (and the existence checks of what a key references). */
@Injectable()
export class ApiKeysRepository {
  private readonly logger = new Logger(ApiKeysRepository.name);
  private teamsTablePresent = false;

  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  /** By key hash, whatever its state (the cache loader uses this). */
  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.keys.findOne({ where: { keyHash } });
  }

  /** By id, only in `orgId` (null: any organisation, for the super-admin). */
  findInOrg(id: string, orgId: string | null): Promise<ApiKeyEntity | null> {
    return this.keys.findOne({ where: orgId === null ? { id } : { id, orgId } });
  }

  listForOrg(orgId: string): Promise<ApiKeyEntity[]> {
    return this.keys.find({ where: { orgId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }

  async insert(key: Partial<ApiKeyEntity>): Promise<ApiKeyEntity> {
    const result = await this.keys.insert(key);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.keys.findOneOrFail({ where: { id } });
  }

  async organizationExists(orgId: string): Promise<boolean> {
    const rows: unknown[] = await this.keys.manager.query('SELECT 1 FROM organizations WHERE id = $1', [orgId]);
    return rows.length > 0;
  }

  /**
   * Whether `teamId` names a team of `orgId`. Until the teams feature creates its table, any id is
   * accepted (the column has no foreign key yet either).
   */
  async teamExists(teamId: string, orgId: string): Promise<boolean> {
    if (!this.teamsTablePresent) {
      const rows: { present: boolean }[] = await this.keys.manager.query(`SELECT to_regclass('public.teams') IS NOT NULL AS present`);
      if (rows[0]?.present !== true) {
        this.logger.debug('Table teams does not exist yet: team_id of API keys is not checked');
        return true;
      }
      this.teamsTablePresent = true;
    }
    const rows: unknown[] = await this.keys.manager.query('SELECT 1 FROM teams WHERE id = $1 AND org_id = $2', [teamId, orgId]);
    return rows.length > 0;
  }

  /**
   * Deactivates a key in one transaction that first locks its organisation's row, so that two
   * concurrent revocations cannot both pass `check` (e.g. both remove "the last but one" admin key).
   * Returns the key as it was before, or null if it vanished. Idempotent for inactive keys.
   */
  async revoke(id: string, orgId: string, check: RevocationCheck): Promise<ApiKeyEntity | null> {
    return this.keys.manager.transaction(async (tx: EntityManager) => {
      await tx.query('SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE', [orgId]);
      const key = await tx.findOne(ApiKeyEntity, { where: { id, orgId } });
      if (!key) return null;
      const rows: { n: number }[] = await tx.query(
        `SELECT count(*)::int AS n FROM api_keys
          WHERE org_id = $1 AND id <> $2 AND role = 'admin' AND is_active AND (expires_at IS NULL OR expires_at > now())`,
        [orgId, id],
      );
      check(key, rows[0]?.n ?? 0);
      if (key.isActive) {
        await tx.query('UPDATE api_keys SET is_active = false, revoked_at = now(), updated_at = now() WHERE id = $1', [id]);
      }
      return key;
    });
  }

  /**
   * Stores buffered last-use times in one statement; a time never moves backwards (several
   * instances flush independently). `updated_at` is not touched: use is not a change.
   */
  async recordLastUsed(entries: readonly (readonly [string, Date])[]): Promise<number> {
    if (entries.length === 0) return 0;
    const result: [unknown[], number] = await this.keys.manager.query(
      `UPDATE api_keys AS k SET last_used_at = v.t
         FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, t)
        WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.t)`,
      [entries.map(([id]) => id), entries.map(([, at]) => at.toISOString())],
    );
    return Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
  }
}
