import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { OidcProviderEntity } from '../entities/oidc-provider.entity';

export const PROVIDER_ISSUER_INDEX = 'uq_oidc_providers_org_issuer';

/** Owns the queries on `oidc_providers`. */
@Injectable()
export class OidcProvidersRepository {
  constructor(@InjectRepository(OidcProviderEntity) private readonly providers: Repository<OidcProviderEntity>) {}

  listForOrg(orgId: string): Promise<OidcProviderEntity[]> {
    return this.providers.find({ where: { orgId }, order: { name: 'ASC', id: 'ASC' } });
  }

  /** Enabled providers of every organisation (the public SSO listing shows their ids and names only). */
  listEnabled(): Promise<OidcProviderEntity[]> {
    return this.providers.find({ where: { enabled: true }, order: { name: 'ASC', id: 'ASC' } });
  }

  findById(id: string): Promise<OidcProviderEntity | null> {
    return this.providers.findOne({ where: { id } });
  }

  /** Every provider (any organisation) with this exact issuer URL: the candidates for a bearer JWT. */
  findByIssuer(issuerUrl: string): Promise<OidcProviderEntity[]> {
    return this.providers.find({ where: { issuerUrl }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findInOrg(id: string, orgId: string | null): Promise<OidcProviderEntity | null> {
    return this.providers.findOne({ where: orgId === null ? { id } : { id, orgId } });
  }

  findByOrgIssuer(orgId: string, issuerUrl: string): Promise<OidcProviderEntity | null> {
    return this.providers.findOne({ where: { orgId, issuerUrl } });
  }

  async insert(provider: Partial<OidcProviderEntity>): Promise<OidcProviderEntity> {
    const result = await this.providers.insert(provider);
    const id = (result.identifiers[0] as { id: string }).id;
    return this.providers.findOneOrFail({ where: { id } });
  }

  async update(id: string, changes: Partial<OidcProviderEntity>): Promise<OidcProviderEntity> {
    if (Object.keys(changes).length > 0) {
      await this.providers.update({ id }, changes as Parameters<Repository<OidcProviderEntity>['update']>[1]);
    }
    return this.providers.findOneOrFail({ where: { id } });
  }

  async delete(id: string): Promise<void> {
    await this.providers.delete({ id });
  }

  /** Which of these ids name teams of the organisation (group → team mappings must point at them). */
  async existingTeamIds(ids: readonly string[], orgId: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows: { id: string }[] = await this.providers.manager.query(
      'SELECT id::text AS id FROM teams WHERE id = ANY($1::uuid[]) AND org_id = $2',
      [Array.from(new Set(ids)), orgId],
    );
    return new Set(rows.map((r) => r.id));
  }
}
