import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A project-level model access group (data-model.md `model_access_groups`): a named list of model globs. */
@Entity({ name: 'model_access_groups' })
@Index('uq_model_access_groups_project_name', ['projectId', 'name'], { unique: true })
export class ModelAccessGroupEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_model_access_groups' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('projects', 'id', { name: 'fk_model_access_groups_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  models!: string[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
