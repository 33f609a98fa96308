import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A token's settled spend in one period (data-model.md `token_spend`), flushed in batches from the
 * Redis counters (`YYYY-MM-DD`, `YYYY-MM`, `lifetime`).
 */
@Entity({ name: 'token_spend' })
export class TokenSpendEntity {
  @PrimaryColumn({ type: 'varchar', length: 28, primaryKeyConstraintName: 'pk_token_spend' })
  @ForeignKey('tokens', { name: 'fk_token_spend_token', onDelete: 'CASCADE' })
  tokenId!: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_token_spend' })
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
