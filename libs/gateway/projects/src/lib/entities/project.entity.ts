import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { OrganizationEntity } from './organization.entity';

@Entity({ name: 'projects' })
@Index('uq_projects_org_name', ['orgId', 'name'], { unique: true })
@Index('uq_projects_org_default', ['orgId'], { unique: true, where: '"is_default"' })
export class ProjectEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  orgId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'org_id', foreignKeyConstraintName: 'fk_projects_org' })
  organization?: OrganizationEntity;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** The organisation's default project: calls without `project_id` act on it; it cannot be deleted. */
  @Column({ type: 'boolean', default: false })
  isDefault!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
