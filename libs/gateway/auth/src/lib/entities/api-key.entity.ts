import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ApiKeyRole } from '@ailink/shared-contracts';

/**
 * A management API key (data-model.md `api_keys`). The key itself is never stored: only its SHA-256
 * (`key_hash`, lowercase hex) and a display prefix. `user_id` and `team_id` have no foreign keys yet
 * (the users and teams features add them).
 */
@Entity({ name: 'api_keys' })
@Index('uq_api_keys_key_hash', ['keyHash'], { unique: true })
@Index('idx_api_keys_org_active', ['orgId', 'isActive'])
@Check('ck_api_keys_role', `"role" IN ('admin', 'member', 'readonly')`)
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_api_keys' })
  id!: string;

  /** FK to `organizations` by table name: this library may not import the projects feature. */
  @Column({ type: 'uuid' })
  @ForeignKey('organizations', 'id', { name: 'fk_api_keys_org', onDelete: 'CASCADE' })
  orgId!: string;

  @Column({ type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  teamId!: string | null;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'char', length: 64 })
  keyHash!: string;

  @Column({ type: 'varchar', length: 32 })
  keyPrefix!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: ApiKeyRole;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  scopes!: string[];

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  /** Written in batches from memory, never once per request. */
  @Column({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  /** Who minted it: an API key id, a user id or `admin_key`. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  createdBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
