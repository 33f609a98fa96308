import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { CredentialInjectionMode } from '@ailink/shared-contracts';

/**
 * `credentials`: a provider secret under envelope encryption (data-model.md "Encrypted values").
 * The five encrypted columns are never selected by the read paths of the Management API.
 */
@Entity({ name: 'credentials' })
@Index('uq_credentials_project_name_active', ['projectId', 'name'], { unique: true, where: '"deleted_at" IS NULL' })
@Index('ix_credentials_kek_id', ['kekId'])
@Check('ck_credentials_injection_mode', `"injection_mode" IN ('bearer', 'basic', 'header', 'query', 'sigv4')`)
@Index('ix_credentials_rotation_due', ['lastRotatedAt'], { where: '"rotation_enabled" = true AND "deleted_at" IS NULL' })
@Check('ck_credentials_rotation_interval', '"rotation_interval_secs" IS NULL OR "rotation_interval_secs" > 0')
export class CredentialEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_credentials' })
  id!: string;

  /** FK to `projects` by table name: this library may not import the projects feature. */
  @Column({ type: 'uuid' })
  @ForeignKey('projects', 'id', { name: 'fk_credentials_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  provider!: string;

  @Column({ type: 'varchar', length: 16 })
  injectionMode!: CredentialInjectionMode;

  @Column({ type: 'varchar', length: 128, nullable: true })
  injectionHeader!: string | null;

  @Column({ type: 'bytea' })
  encryptedDek!: Buffer;

  @Column({ type: 'bytea' })
  dekNonce!: Buffer;

  @Column({ type: 'bytea' })
  encryptedSecret!: Buffer;

  @Column({ type: 'bytea' })
  secretNonce!: Buffer;

  @Column({ type: 'text' })
  kekId!: string;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ type: 'boolean', default: false })
  rotationEnabled!: boolean;

  @Column({ type: 'integer', nullable: true })
  rotationIntervalSecs!: number | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastRotatedAt!: Date | null;

  /** Soft delete: set together with `is_active = false`; the name becomes free again. */
  @Column({ type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
