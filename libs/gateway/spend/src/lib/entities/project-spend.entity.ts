import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A project's settled spend in one period (data-model.md `project_spend`): daily, weekly and monthly keys. */
@Entity({ name: 'project_spend' })
export class ProjectSpendEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_project_spend' })
  @ForeignKey('projects', { name: 'fk_project_spend_project', onDelete: 'CASCADE' })
  projectId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_project_spend' })
  periodKey!: string;

  @Column({ type: 'numeric', precision: 12, scale: 6, default: 0 })
  spendUsd!: string;

  @Column({ type: 'bigint', default: 0 })
  requests!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
