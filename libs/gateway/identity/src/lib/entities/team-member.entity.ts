import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { TeamMemberRole, TeamMemberSource } from '@ailink/shared-contracts';

/**
 * A user's membership of a team (data-model.md `team_members`). `source: oidc` rows were granted by
 * the group → team mapping of `oidc_provider_id` and are removed by it when the group disappears;
 * `manual` rows are never touched by SSO.
 */
@Entity({ name: 'team_members' })
@Index('uq_team_members_team_user', ['teamId', 'userId'], { unique: true })
@Index('idx_team_members_user', ['userId'])
@Check('ck_team_members_role', `"role" IN ('admin', 'member', 'viewer')`)
@Check('ck_team_members_source', `"source" IN ('manual', 'oidc')`)
export class TeamMemberEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_team_members' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('teams', 'id', { name: 'fk_team_members_team', onDelete: 'CASCADE' })
  teamId!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('users', 'id', { name: 'fk_team_members_user', onDelete: 'CASCADE' })
  userId!: string;

  @Column({ type: 'varchar', length: 16, default: 'member' })
  role!: TeamMemberRole;

  @Column({ type: 'varchar', length: 8, default: 'manual' })
  source!: TeamMemberSource;

  @Column({ type: 'uuid', nullable: true })
  @ForeignKey('oidc_providers', 'id', { name: 'fk_team_members_oidc_provider', onDelete: 'SET NULL' })
  oidcProviderId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
