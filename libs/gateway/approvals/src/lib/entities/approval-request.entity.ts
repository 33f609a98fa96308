import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ApprovalRequestSummary } from '@ailink/shared-contracts';

/**
 * One human approval (data-model.md `approval_requests`; approvals-webhooks-anomalies.md §1), bound to
 * the request it authorises: token, method, path, body digest and the version of the policy that
 * required it. At most one live (pending or approved, unconsumed) row per (token, idempotency key).
 */
@Entity({ name: 'approval_requests' })
@Check('ck_approval_requests_status', `"status" IN ('pending', 'approved', 'rejected', 'expired')`)
@Check('ck_approval_requests_mode', `"mode" IN ('wait', 'async')`)
@Check('ck_approval_requests_fallback', `"fallback" IN ('deny', 'allow')`)
@Index('uq_approval_requests_live_key', ['tokenId', 'idempotencyKey'], {
  unique: true,
  where: `"status" IN ('pending', 'approved') AND "consumed_at" IS NULL`,
})
@Index('ix_approval_requests_token_status', ['tokenId', 'status'])
@Index('ix_approval_requests_token_key', ['tokenId', 'idempotencyKey', 'createdAt'])
@Index('ix_approval_requests_project_created', ['projectId', 'createdAt'])
@Index('ix_approval_requests_pending_expiry', ['expiresAt'], { where: `"status" = 'pending'` })
export class ApprovalRequestEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_approval_requests' })
  id!: string;

  @Column({ type: 'varchar', length: 28 })
  @ForeignKey('tokens', { name: 'fk_approval_requests_token', onDelete: 'CASCADE' })
  tokenId!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('projects', { name: 'fk_approval_requests_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'varchar', length: 255 })
  idempotencyKey!: string;

  @Column({ type: 'uuid', nullable: true })
  @ForeignKey('policies', { name: 'fk_approval_requests_policy', onDelete: 'SET NULL' })
  policyId!: string | null;

  @Column({ type: 'integer' })
  policyVersion!: number;

  @Column({ type: 'varchar', length: 8 })
  mode!: string;

  @Column({ type: 'varchar', length: 16 })
  requestMethod!: string;

  @Column({ type: 'text' })
  requestPath!: string;

  @Column({ type: 'char', length: 64 })
  bodyDigest!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  requestSummary!: ApprovalRequestSummary;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  reviewedBy!: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  decisionChannel!: string | null;

  @Column({ type: 'text', nullable: true })
  decisionComment!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  reviewedAt!: Date | null;

  @Column({ type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  approvedUntil!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;

  @Column({ type: 'varchar', length: 8, default: 'deny' })
  fallback!: string;

  @Column({ type: 'jsonb', nullable: true })
  routingChoices!: Record<string, unknown> | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
