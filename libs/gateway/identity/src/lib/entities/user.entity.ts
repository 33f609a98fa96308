import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { UserRole } from '@ailink/shared-contracts';

/** Where a user's stored role comes from: set by an admin (`POST /users`), or the last SSO/JWT sign-in. */
export type UserRoleSource = 'admin' | 'oidc';

/**
 * A person (data-model.md `users`): created just in time by SSO or JWT authentication, or ahead of
 * time by an admin. `uq_users_org_email` is an expression index (`org_id, lower(email)`) that TypeORM
 * cannot describe: it is created by the migration and left alone by the schema check.
 */
@Entity({ name: 'users' })
@Index('uq_users_oidc_subject', ['oidcProviderId', 'oidcSubject'], { unique: true })
@Index('uq_users_org_email', { synchronize: false })
@Check('ck_users_role', `"role" IN ('admin', 'member', 'readonly')`)
@Check('ck_users_role_source', `"role_source" IN ('admin', 'oidc')`)
export class UserEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_users' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('organizations', 'id', { name: 'fk_users_org', onDelete: 'CASCADE' })
  orgId!: string;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'readonly' })
  role!: UserRole;

  @Column({ type: 'varchar', length: 8, default: 'oidc' })
  roleSource!: UserRoleSource;

  @Column({ type: 'uuid', nullable: true })
  @ForeignKey('oidc_providers', 'id', { name: 'fk_users_oidc_provider', onDelete: 'SET NULL' })
  oidcProviderId!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  oidcSubject!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastLoginAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
