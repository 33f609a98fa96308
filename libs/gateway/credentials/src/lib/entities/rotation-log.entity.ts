import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { CredentialEntity } from './credential.entity';

/** Why a credential was rotated (vault-and-spend.md §3). */
export type RotationTrigger = 'api' | 'schedule' | 'master_key_rotation';

/** `rotation_log`: one row per credential rotation (secret replacement or DEK refresh), success or failure. */
@Entity({ name: 'rotation_log' })
@Index('ix_rotation_log_credential', ['credentialId', 'rotatedAt'])
@Check('ck_rotation_log_trigger', `"trigger" IN ('api', 'schedule', 'master_key_rotation')`)
@Check('ck_rotation_log_status', `"status" IN ('success', 'failed')`)
export class RotationLogEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_rotation_log' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey(() => CredentialEntity, 'id', { name: 'fk_rotation_log_credential', onDelete: 'CASCADE' })
  credentialId!: string;

  @Column({ type: 'integer' })
  oldVersion!: number;

  @Column({ type: 'integer' })
  newVersion!: number;

  @Column({ type: 'varchar', length: 32 })
  trigger!: RotationTrigger;

  @Column({ type: 'varchar', length: 16 })
  status!: 'success' | 'failed';

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  rotatedAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
