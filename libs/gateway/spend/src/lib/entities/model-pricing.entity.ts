import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A price row (data-model.md `model_pricing`; vault-and-spend.md §4): USD per million tokens for the
 * models whose name matches `model_pattern` (a case-insensitive glob). `org_id` null = built-in row,
 * shared by every organisation. `(org_id, provider, model_pattern)` is unique with nulls not distinct,
 * expressed as two partial unique indexes (built-in rows; organisation overrides).
 */
@Entity({ name: 'model_pricing' })
@Index('uq_model_pricing_builtin', ['provider', 'modelPattern'], { unique: true, where: '"org_id" IS NULL' })
@Index('uq_model_pricing_org', ['orgId', 'provider', 'modelPattern'], { unique: true, where: '"org_id" IS NOT NULL' })
export class ModelPricingEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_model_pricing' })
  id!: string;

  @Column({ type: 'uuid', nullable: true })
  @ForeignKey('organizations', { name: 'fk_model_pricing_org', onDelete: 'CASCADE' })
  orgId!: string | null;

  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @Column({ type: 'varchar', length: 255 })
  modelPattern!: string;

  @Column({ type: 'numeric', precision: 12, scale: 6 })
  inputPerM!: string;

  @Column({ type: 'numeric', precision: 12, scale: 6 })
  outputPerM!: string;

  @Column({ type: 'numeric', precision: 12, scale: 6, nullable: true })
  cachedInputPerM!: string | null;

  @Column({ type: 'integer', nullable: true })
  maxOutputTokens!: number | null;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
