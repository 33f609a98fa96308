import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { CircuitBreakerConfig } from '@ailink/shared-contracts';

/** A stored upstream target (proxy.md §11): defaults already applied. */
export interface StoredUpstream {
  url: string;
  weight: number;
  priority: number;
  credential_id?: string | null;
}

/**
 * A virtual token (data-model.md `tokens`). The primary key is the public id `tok_…`; the bearer
 * secret itself is never stored, only its SHA-256 (`secret_sha256`) and its last four characters.
 *
 * `team_id` references `teams` (`fk_tokens_team`, on delete set null; added by the identity feature's
 * migration).
 */
@Entity({ name: 'tokens' })
@Index('idx_tokens_project_active', ['projectId', 'isActive'])
@Index('uq_tokens_secret_sha256', ['secretSha256'], { unique: true })
export class TokenEntity {
  @PrimaryColumn({ type: 'varchar', length: 28, primaryKeyConstraintName: 'pk_tokens' })
  id!: string;

  @Column({ type: 'char', length: 64 })
  secretSha256!: string;

  @Column({ type: 'char', length: 4 })
  last4!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('projects', { name: 'fk_tokens_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'uuid', nullable: true })
  @ForeignKey('credentials', { name: 'fk_tokens_credential' })
  credentialId!: string | null;

  @Column({ type: 'text' })
  upstreamUrl!: string;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  upstreams!: StoredUpstream[];

  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  policyIds!: string[];

  @Column({ type: 'jsonb', default: () => "'[]'" })
  scopes!: string[];

  @Column({ type: 'smallint', default: 1 })
  logLevel!: number;

  @Column({ type: 'jsonb', nullable: true })
  circuitBreaker!: CircuitBreakerConfig | null;

  @Column({ type: 'jsonb', nullable: true })
  allowedModels!: string[] | null;

  @Column({ type: 'uuid', array: true, default: () => "'{}'" })
  allowedModelGroupIds!: string[];

  @Column({ type: 'uuid', nullable: true })
  @ForeignKey('teams', 'id', { name: 'fk_tokens_team', onDelete: 'SET NULL' })
  teamId!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  tags!: Record<string, string>;

  @Column({ type: 'jsonb', nullable: true })
  mcpAllowedTools!: string[] | null;

  @Column({ type: 'jsonb', nullable: true })
  mcpBlockedTools!: string[] | null;

  @Column({ type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  suspendedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  suspendedReason!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
