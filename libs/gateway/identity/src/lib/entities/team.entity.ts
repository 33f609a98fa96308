import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { BudgetDuration } from '@ailink/shared-contracts';

/** An organisation-level team (data-model.md `teams`). `allowed_models` null = unrestricted, `[]` = none. */
@Entity({ name: 'teams' })
@Index('uq_teams_org_name', ['orgId', 'name'], { unique: true })
@Check('ck_teams_budget_duration', `"budget_duration" IN ('daily', 'weekly', 'monthly', 'yearly')`)
export class TeamEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_teams' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('organizations', 'id', { name: 'fk_teams_org', onDelete: 'CASCADE' })
  orgId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** numeric(12,4), read as a decimal string. */
  @Column({ type: 'numeric', precision: 12, scale: 4, nullable: true })
  maxBudgetUsd!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  budgetDuration!: BudgetDuration | null;

  @Column({ type: 'jsonb', nullable: true })
  allowedModels!: string[] | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  tags!: Record<string, string>;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
