import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { PolicyMode, PolicyPhase, PolicyRetry, PolicyRule } from '@ailink/shared-contracts';

/** `policy_versions` (data-model.md): the document as it was after each create and update. */
@Entity({ name: 'policy_versions' })
@Index('uq_policy_versions_policy_version', ['policyId', 'version'], { unique: true })
export class PolicyVersionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_policy_versions' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('policies', 'id', { name: 'fk_policy_versions_policy', onDelete: 'CASCADE' })
  policyId!: string;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  mode!: PolicyMode;

  @Column({ type: 'varchar', length: 8 })
  phase!: PolicyPhase;

  @Column({ type: 'jsonb' })
  rules!: PolicyRule[];

  @Column({ type: 'jsonb', nullable: true })
  retry!: PolicyRetry | null;

  @Column({ type: 'boolean', default: false })
  bufferStreamingForPostFlight!: boolean;

  /** Who wrote this version: `key:{id}`, `user:{id}` or `admin`. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  changedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
