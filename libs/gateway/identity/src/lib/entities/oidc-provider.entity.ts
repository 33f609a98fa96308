import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { OidcClaimMapping, UserRole } from '@ailink/shared-contracts';

/**
 * An OIDC provider of an organisation (data-model.md `oidc_providers`): portal SSO and API bearer
 * JWTs. The client secret is sealed by the vault (`client_secret_enc`, compact format) and never
 * returned.
 */
@Entity({ name: 'oidc_providers' })
@Index('uq_oidc_providers_org_issuer', ['orgId', 'issuerUrl'], { unique: true })
@Index('idx_oidc_providers_issuer', ['issuerUrl'])
@Check('ck_oidc_providers_default_role', `"default_role" IN ('admin', 'member', 'readonly')`)
export class OidcProviderEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_oidc_providers' })
  id!: string;

  @Column({ type: 'uuid' })
  @ForeignKey('organizations', 'id', { name: 'fk_oidc_providers_org', onDelete: 'CASCADE' })
  orgId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text' })
  issuerUrl!: string;

  @Column({ type: 'varchar', length: 500 })
  clientId!: string;

  @Column({ type: 'bytea', nullable: true })
  clientSecretEnc!: Buffer | null;

  @Column({ type: 'text', nullable: true })
  jwksUri!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  audience!: string | null;

  @Column({ type: 'varchar', length: 500, default: 'openid email profile' })
  scopes!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  claimMapping!: OidcClaimMapping;

  @Column({ type: 'varchar', length: 16, default: 'readonly' })
  defaultRole!: UserRole;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  defaultScopes!: string[];

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
