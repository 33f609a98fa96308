import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A registered service (data-model.md `services`), proxied at `/v1/proxy/services/{name}/{rest}`.
 * Names are unique per project among active services.
 */
@Entity({ name: 'services' })
@Index('uq_services_project_name_active', ['projectId', 'name'], { unique: true, where: '"is_active"' })
export class ServiceEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_services' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('projects', { name: 'fk_services_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text' })
  baseUrl!: string;

  @Column({ type: 'varchar', length: 50, default: 'generic' })
  serviceType!: string;

  @Column({ type: 'uuid', nullable: true })
  @ForeignKey('credentials', { name: 'fk_services_credential' })
  credentialId!: string | null;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
