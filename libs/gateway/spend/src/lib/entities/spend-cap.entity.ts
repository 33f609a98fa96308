import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A token's spend cap for one period (data-model.md `spend_caps`): `daily`, `monthly` or `lifetime`. */
@Entity({ name: 'spend_caps' })
@Index('uq_spend_caps_token_period', ['tokenId', 'period'], { unique: true })
export class SpendCapEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_spend_caps' })
  id!: string;

  @Column({ type: 'varchar', length: 28 })
  @ForeignKey('tokens', { name: 'fk_spend_caps_token', onDelete: 'CASCADE' })
  tokenId!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('projects', { name: 'fk_spend_caps_project', onDelete: 'CASCADE' })
  projectId!: string;

  @Column({ type: 'varchar', length: 16 })
  period!: string;

  @Column({ type: 'numeric', precision: 12, scale: 6 })
  limitUsd!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
