import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A session's lifecycle row (data-model.md `sessions`; proxy.md §15), keyed by the client's
 * `X-Session-Id` within a project. `status`: `active`, `paused` or `completed` (terminal).
 */
@Entity({ name: 'sessions' })
@Index('uq_sessions_project_session', ['projectId', 'sessionId'], { unique: true })
export class SessionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_sessions' })
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  sessionId!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('projects', { name: 'fk_sessions_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'varchar', length: 28, nullable: true })
  @ForeignKey('tokens', { name: 'fk_sessions_token', onDelete: 'SET NULL' })
  tokenId!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: string;

  @Column({ type: 'numeric', precision: 12, scale: 6, nullable: true })
  spendCapUsd!: string | null;

  @Column({ type: 'numeric', precision: 12, scale: 6, default: 0 })
  totalCostUsd!: string;

  @Column({ type: 'bigint', default: 0 })
  totalTokens!: string;

  @Column({ type: 'bigint', default: 0 })
  totalRequests!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, unknown>;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
