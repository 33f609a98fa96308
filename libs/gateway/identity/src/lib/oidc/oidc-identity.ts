import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { UserRole } from '@ailink/shared-contracts';
import { UsersRepository } from '../users/users.repository';
import { mapClaims, type MappedClaims } from './claim-mapping';
import type { ProviderConfig } from './oidc-provider-cache';

/** Who verified claims say the caller is, as the gateway records it. */
export interface OidcIdentity {
  userId: string;
  role: UserRole;
  scopes: string[];
  email: string | null;
}

interface KnownUser {
  userId: string;
  /** The role an admin gave the user (`POST /users`), used when the claims grant none. */
  adminRole: UserRole | null;
}

/** How long a bearer JWT's user, once provisioned, is not written again (same profile and groups). */
const KNOWN_USER_TTL_MS = 300_000;

/**
 * Turns verified claims of a provider into the local user and its role, scopes and teams
 * (identity.md §4–§5): the user is upserted for (provider, `sub`) (linked to a pre-created user by
 * verified email), the role is the claims' role, else the role an admin gave a pre-created user, else
 * the provider's `default_role`; scopes from the claims, else `default_scopes`; the group → team
 * mapping is applied when the provider has one and the groups claim is present.
 *
 * Bearer JWTs reuse a provisioned user for 5 minutes while the profile and groups in the token stay
 * the same, so API calls with a JWT do not write to the database each time.
 */
@Injectable()
export class OidcIdentityResolver {
  private readonly known = new LRUCache<string, KnownUser>({ max: 10_000, ttl: KNOWN_USER_TTL_MS });

  constructor(private readonly users: UsersRepository) {}

  /** For a portal sign-in: always provisions, records `last_login_at`. */
  signIn(provider: ProviderConfig, claims: Record<string, unknown>): Promise<OidcIdentity> {
    return this.provision(provider, claims, mapClaims(claims, provider.claimMapping, provider.defaultScopes), true);
  }

  /** For a bearer JWT: provisions on first sight or when the profile or groups changed. */
  async bearer(provider: ProviderConfig, claims: Record<string, unknown>): Promise<OidcIdentity> {
    const mapped = mapClaims(claims, provider.claimMapping, provider.defaultScopes);
    const key = `${provider.id}\n${String(claims['sub'])}\n${fingerprint(mapped)}`;
    const known = this.known.get(key);
    if (known) return this.identity(provider, mapped, known);
    const identity = await this.provision(provider, claims, mapped, false);
    return identity;
  }

  private async provision(
    provider: ProviderConfig,
    claims: Record<string, unknown>,
    mapped: MappedClaims,
    login: boolean,
  ): Promise<OidcIdentity> {
    const user = await this.users.upsertForSignIn(
      {
        orgId: provider.orgId,
        providerId: provider.id,
        subject: String(claims['sub']),
        email: mapped.email,
        emailVerified: mapped.emailVerified,
        name: mapped.name,
      },
      login,
    );
    const known: KnownUser = { userId: user.id, adminRole: user.roleSource === 'admin' ? user.role : null };
    const identity = this.identity(provider, mapped, known);
    if (user.roleSource === 'oidc') await this.users.recordSignInRole(user.id, identity.role);
    if (mapped.teamIds !== null) await this.users.syncProviderTeams(user.id, provider.orgId, provider.id, mapped.teamIds);
    this.known.set(`${provider.id}\n${String(claims['sub'])}\n${fingerprint(mapped)}`, known);
    return { ...identity, email: user.email ?? mapped.email };
  }

  private identity(provider: ProviderConfig, mapped: MappedClaims, known: KnownUser): OidcIdentity {
    return {
      userId: known.userId,
      role: mapped.claimRole ?? known.adminRole ?? provider.defaultRole,
      scopes: mapped.scopes,
      email: mapped.email,
    };
  }
}

function fingerprint(mapped: MappedClaims): string {
  return createHash('sha256')
    .update(JSON.stringify([mapped.email, mapped.emailVerified, mapped.name, mapped.claimRole, mapped.teamIds]))
    .digest('base64url');
}
