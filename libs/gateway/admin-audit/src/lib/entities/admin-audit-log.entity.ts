import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AdminAuditMethod, AuthMethod } from '@ailink/shared-contracts';

/**
 * One successful Management API write (data-model.md `admin_audit_log`; management-api.md "Admin
 * audit trail"). `before`/`after` hold the resource's API representation with every secret masked.
 * Rows are history: no foreign keys, so they outlive the resources and keys they mention.
 */
@Entity({ name: 'admin_audit_log' })
@Index('idx_admin_audit_log_org_created', ['orgId', 'createdAt', 'id'])
@Index('idx_admin_audit_log_org_resource', ['orgId', 'resourceKind', 'resourceId', 'createdAt'])
@Index('idx_admin_audit_log_org_actor', ['orgId', 'actor', 'createdAt'])
export class AdminAuditLogEntity {
  /** Assigned when the write is recorded (so a spilled record keeps its id). */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_admin_audit_log' })
  id!: string;

  @Column({ type: 'uuid' })
  orgId!: string;

  @Column({ type: 'uuid', nullable: true })
  projectId!: string | null;

  /** API key id, user id or `admin_key`. */
  @Column({ type: 'varchar', length: 200 })
  actor!: string;

  @Column({ type: 'varchar', length: 16 })
  authMethod!: AuthMethod;

  @Column({ type: 'varchar', length: 8 })
  method!: AdminAuditMethod;

  @Column({ type: 'text' })
  path!: string;

  @Column({ type: 'varchar', length: 512 })
  route!: string;

  @Column({ type: 'varchar', length: 128 })
  resourceKind!: string;

  @Column({ type: 'varchar', length: 512, nullable: true })
  resourceId!: string | null;

  @Column({ type: 'smallint' })
  status!: number;

  @Column({ type: 'varchar', length: 64 })
  requestId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'jsonb', nullable: true })
  before!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  after!: unknown;
}
