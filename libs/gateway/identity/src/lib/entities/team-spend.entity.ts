import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * Daily spend totals of a team (data-model.md `team_spend`, one row per UTC day), written by the spend
 * flush once team budgets are counted; `GET /teams/{id}/spend` reads the last 30.
 */
@Entity({ name: 'team_spend' })
@Index('uq_team_spend_team_period', ['teamId', 'period'], { unique: true })
export class TeamSpendEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_team_spend' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('teams', 'id', { name: 'fk_team_spend_team', onDelete: 'CASCADE' })
  teamId!: string;

  /** `YYYY-MM-DD` (a `date` column, read as a string). */
  @Column({ type: 'date' })
  period!: string;

  @Column({ type: 'bigint', default: 0 })
  totalRequests!: string;

  @Column({ type: 'bigint', default: 0 })
  totalTokensUsed!: string;

  @Column({ type: 'numeric', precision: 12, scale: 4, default: 0 })
  totalSpendUsd!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
