import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A project's budget (data-model.md `project_budgets`; vault-and-spend.md §6): a warning threshold
 * and an optional hard cap per `reset_period` (`daily`, `weekly`, `monthly`).
 */
@Entity({ name: 'project_budgets' })
export class ProjectBudgetEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_project_budgets' })
  @ForeignKey('projects', { name: 'fk_project_budgets_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'numeric', precision: 12, scale: 6, nullable: true })
  warnThresholdUsd!: string | null;

  @Column({ type: 'numeric', precision: 12, scale: 6, nullable: true })
  hardCapUsd!: string | null;

  @Column({ type: 'varchar', length: 16 })
  resetPeriod!: string;

  @Column({ type: 'varchar', length: 16, nullable: true })
  warnFiredPeriod!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  capFiredPeriod!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
