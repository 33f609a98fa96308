import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { UserRole } from '@ailink/shared-contracts';
import { UserEntity, type UserRoleSource } from '../entities/user.entity';

export const USER_EMAIL_INDEX = 'uq_users_org_email';

/** A user row as raw SQL returns it (snake_case columns). */
interface UserRow {
  id: string;
  org_id: string;
  email: string | null;
  name: string | null;
  role: UserRole;
  role_source: UserRoleSource;
  oidc_provider_id: string | null;
  oidc_subject: string | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * Rows of a raw query: TypeORM answers `[rows, rowCount]` for UPDATE and DELETE (with RETURNING too)
 * and the rows alone otherwise.
 */
function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

function toEntity(row: UserRow): UserEntity {
  return Object.assign(new UserEntity(), {
    id: row.id,
    orgId: row.org_id,
    email: row.email,
    name: row.name,
    role: row.role,
    roleSource: row.role_source,
    oidcProviderId: row.oidc_provider_id,
    oidcSubject: row.oidc_subject,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
}

/** What a sign-in tells about a user (from verified token claims). */
export interface SignInProfile {
  orgId: string;
  providerId: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** Owns the queries on `users` (and the OIDC-granted rows of `team_members`). */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  list(orgId: string, limit: number, offset: number): Promise<UserEntity[]> {
    return this.users.find({ where: { orgId }, order: { createdAt: 'ASC', id: 'ASC' }, take: limit, skip: offset });
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { id } });
  }

  async emailTaken(orgId: string, email: string): Promise<boolean> {
    const rows: unknown[] = await this.users.manager.query('SELECT 1 FROM users WHERE org_id = $1 AND lower(email) = lower($2)', [
      orgId,
      email,
    ]);
    return rows.length > 0;
  }

  async insert(user: Partial<UserEntity>): Promise<UserEntity> {
    const result = await this.users.insert(user);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.users.findOneOrFail({ where: { id } });
  }

  /**
   * The user of (provider, subject), created or linked on first sight, in one transaction:
   * 1. the row already linked to (provider, subject);
   * 2. else an unlinked user of the organisation with the same email, when the email is verified
   *    (a user an admin created ahead of time): linked now;
   * 3. else a new user (with the email unless another user of the organisation holds it).
   * Concurrent first sign-ins of one subject end with one row (unique index, ON CONFLICT DO NOTHING).
   * Name and email follow the latest claims (an email another user holds is not taken over).
   */
  async upsertForSignIn(profile: SignInProfile, touchLogin: boolean): Promise<UserEntity> {
    return this.users.manager.transaction(async (manager) => {
      let row = await this.bySubject(manager, profile.providerId, profile.subject);
      if (!row && profile.email && profile.emailVerified) {
        const linked = rowsOf<UserRow>(
          await manager.query(
            `UPDATE users SET oidc_provider_id = $1, oidc_subject = $2, updated_at = now()
            WHERE id = (SELECT id FROM users WHERE org_id = $3 AND lower(email) = lower($4) AND oidc_provider_id IS NULL
                         ORDER BY created_at LIMIT 1 FOR UPDATE)
            RETURNING *`,
            [profile.providerId, profile.subject, profile.orgId, profile.email],
          ),
        );
        row = linked[0];
      }
      if (!row) {
        for (const email of profile.email ? [profile.email, null] : [null]) {
          const inserted = rowsOf<UserRow>(
            await manager.query(
              `INSERT INTO users (org_id, email, name, role_source, oidc_provider_id, oidc_subject)
             VALUES ($1, $2, $3, 'oidc', $4, $5) ON CONFLICT DO NOTHING RETURNING *`,
              [profile.orgId, email, profile.name, profile.providerId, profile.subject],
            ),
          );
          row = inserted[0] ?? (await this.bySubject(manager, profile.providerId, profile.subject));
          if (row) break;
        }
      }
      if (!row) throw new Error('The user could not be created');
      const updated = rowsOf<UserRow>(
        await manager.query(
          `UPDATE users u SET
            name = COALESCE($2, u.name),
            email = CASE WHEN $3::varchar IS NOT NULL AND lower(coalesce(u.email, '')) <> lower($3)
                          AND NOT EXISTS (SELECT 1 FROM users o WHERE o.org_id = u.org_id AND lower(o.email) = lower($3) AND o.id <> u.id)
                         THEN $3 ELSE u.email END,
            last_login_at = CASE WHEN $4 THEN now() ELSE u.last_login_at END,
            updated_at = now()
          WHERE u.id = $1 RETURNING *`,
          [row.id, profile.name, profile.email, touchLogin],
        ),
      );
      return toEntity(updated[0] ?? row);
    });
  }

  /** Records the role of a user whose role follows its sign-ins (`role_source = oidc`). */
  async recordSignInRole(userId: string, role: UserRole): Promise<void> {
    await this.users.manager.query(`UPDATE users SET role = $2 WHERE id = $1 AND role_source = 'oidc' AND role <> $2`, [userId, role]);
  }

  /**
   * Group → team mapping (identity.md §4): adds `source: oidc` memberships of this provider for the
   * teams in `teamIds` (teams of the user's organisation only; an existing manual membership stays as
   * it is) and removes this provider's memberships of teams no longer listed. Manual memberships and
   * other providers' are never touched.
   */
  async syncProviderTeams(userId: string, orgId: string, providerId: string, teamIds: readonly string[]): Promise<void> {
    await this.users.manager.transaction(async (manager) => {
      await manager.query(
        `DELETE FROM team_members WHERE user_id = $1 AND source = 'oidc' AND oidc_provider_id = $2 AND NOT (team_id = ANY($3::uuid[]))`,
        [userId, providerId, Array.from(teamIds)],
      );
      if (teamIds.length > 0) {
        await manager.query(
          `INSERT INTO team_members (team_id, user_id, role, source, oidc_provider_id)
           SELECT t.id, $1, 'member', 'oidc', $2 FROM teams t WHERE t.id = ANY($3::uuid[]) AND t.org_id = $4
           ON CONFLICT (team_id, user_id) DO NOTHING`,
          [userId, providerId, Array.from(teamIds), orgId],
        );
      }
    });
  }

  private async bySubject(manager: EntityManager, providerId: string, subject: string): Promise<UserRow | undefined> {
    const rows: UserRow[] = await manager.query('SELECT * FROM users WHERE oidc_provider_id = $1 AND oidc_subject = $2 FOR UPDATE', [
      providerId,
      subject,
    ]);
    return rows[0];
  }
}
