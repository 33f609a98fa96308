import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import type { OidcClaimMapping, UserRole } from '@ailink/shared-contracts';
import type { OidcProviderEntity } from '../entities/oidc-provider.entity';
import { OidcProvidersRepository } from './oidc-providers.repository';

export const PROVIDER_CACHE_KIND = 'oidcprovider';
export const ISSUER_CACHE_KIND = 'oidcissuer';

/** What authentication uses of a provider: never the client secret (not even sealed). */
export interface ProviderConfig {
  id: string;
  orgId: string;
  name: string;
  issuerUrl: string;
  clientId: string;
  audience: string | null;
  jwksUri: string | null;
  scopes: string;
  claimMapping: OidcClaimMapping;
  defaultRole: UserRole;
  defaultScopes: string[];
  enabled: boolean;
}

export function toProviderConfig(row: OidcProviderEntity): ProviderConfig {
  return {
    id: row.id,
    orgId: row.orgId,
    name: row.name,
    issuerUrl: row.issuerUrl,
    clientId: row.clientId,
    audience: row.audience,
    jwksUri: row.jwksUri,
    scopes: row.scopes,
    claimMapping: row.claimMapping ?? {},
    defaultRole: row.defaultRole,
    defaultScopes: row.defaultScopes ?? [],
    enabled: row.enabled,
  };
}

/** Cache id of an issuer URL (URLs hold characters keys should not). */
export function issuerKey(issuerUrl: string): string {
  return createHash('sha256').update(issuerUrl, 'utf8').digest('hex');
}

/**
 * Providers through the cache tiers, by id (`oidcprovider`) and by issuer (`oidcissuer`: every
 * provider of any organisation with that issuer URL), so that authenticating a bearer JWT or a portal
 * session costs no database round trip once warm. Every provider write invalidates its id and the
 * issuers before and after the change.
 */
@Injectable()
export class OidcProviderCache {
  private readonly byId: TieredCache<ProviderConfig>;
  private readonly byIssuer: TieredCache<ProviderConfig[]>;
  /** Issuer URLs by their cache id, for the loader (bounded: entries are only added for issuers looked up). */
  private readonly issuers = new Map<string, string>();

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: OidcProvidersRepository) {
    const tiers = { l1MaxEntries: config.l1MaxEntries, l1TtlMs: Math.max(1, config.l1TtlMs), l2TtlSecs: config.l2TtlSecs };
    this.byId = factory.create<ProviderConfig>({
      kind: PROVIDER_CACHE_KIND,
      loader: async (id) => {
        const row = await repository.findById(id);
        return row ? toProviderConfig(row) : null;
      },
      ...tiers,
    });
    this.byIssuer = factory.create<ProviderConfig[]>({
      kind: ISSUER_CACHE_KIND,
      loader: async (key) => {
        const issuer = this.issuers.get(key);
        if (issuer === undefined) return null;
        const rows = await repository.findByIssuer(issuer);
        return rows.length > 0 ? rows.map(toProviderConfig) : null;
      },
      ...tiers,
    });
  }

  provider(id: string): Promise<ProviderConfig | null> {
    return this.byId.get(id);
  }

  /** Every provider with this issuer URL (enabled or not). */
  async forIssuer(issuerUrl: string): Promise<ProviderConfig[]> {
    const key = issuerKey(issuerUrl);
    if (!this.issuers.has(key)) {
      if (this.issuers.size >= 10_000) this.issuers.delete(this.issuers.keys().next().value as string);
      this.issuers.set(key, issuerUrl);
    }
    return (await this.byIssuer.get(key)) ?? [];
  }

  /** After a committed change to provider `id`, whose issuer was and/or is one of `issuerUrls`. */
  async invalidate(id: string, issuerUrls: readonly string[]): Promise<void> {
    await this.byId.invalidate(id, null);
    for (const issuer of new Set(issuerUrls)) await this.byIssuer.invalidate(issuerKey(issuer), null);
  }
}
