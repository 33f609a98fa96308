import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, BearerJwtAuthenticator, OutboundUrlGuard, PortalSessionAuthenticator } from '@ailink/gateway-core';
import { VaultModule } from '@ailink/gateway-vault';
import { ModelAccessGroupEntity } from './entities/model-access-group.entity';
import { OidcProviderEntity } from './entities/oidc-provider.entity';
import { TeamMemberEntity } from './entities/team-member.entity';
import { TeamSpendEntity } from './entities/team-spend.entity';
import { TeamEntity } from './entities/team.entity';
import { UserEntity } from './entities/user.entity';
import { ModelAccessGroupAuditSnapshot, OidcProviderAuditSnapshot, TeamAuditSnapshot, UserAuditSnapshot } from './identity.audit-snapshots';
import { ModelAccessCache, ModelAccessSource, toResolvedModelGroup, toResolvedTeam } from './model-access/model-access-cache';
import { ModelAccessGroupsController } from './model-access/model-access-groups.controller';
import { ModelAccessGroupsRepository } from './model-access/model-access-groups.repository';
import { ModelAccessGroupsService } from './model-access/model-access-groups.service';
import { ModelAccessStage } from './model-access/model-access.stage';
import { JwksCache } from './oidc/jwks-cache';
import { OidcBearerAuthenticator } from './oidc/oidc-bearer.authenticator';
import { OidcDiscovery } from './oidc/oidc-discovery';
import { OidcHttp } from './oidc/oidc-http';
import { OidcIdentityResolver } from './oidc/oidc-identity';
import { OidcProviderCache } from './oidc/oidc-provider-cache';
import { OidcProvidersController } from './oidc/oidc-providers.controller';
import { OidcProvidersRepository } from './oidc/oidc-providers.repository';
import { OidcProvidersService } from './oidc/oidc-providers.service';
import { OidcTokenVerifier } from './oidc/oidc-token-verifier';
import { CookieSessionAuthenticator } from './sso/portal-session.authenticator';
import { PortalSessions } from './sso/portal-sessions';
import { SsoController } from './sso/sso.controller';
import { SsoService } from './sso/sso.service';
import { SsoPassport } from './sso/ailink-oidc.strategy';
import { TeamsController } from './teams/teams.controller';
import { TeamsRepository } from './teams/teams.repository';
import { TeamsService } from './teams/teams.service';
import { UsersController } from './users/users.controller';
import { UsersRepository } from './users/users.repository';
import { UsersService } from './users/users.service';

/**
 * Identity, part 2 (identity.md §4–§7): users, teams and members, model access groups and the proxy's
 * `model-access` stage, OIDC providers, bearer JWTs on the Management API and portal SSO sessions.
 *
 * Global so that the auth guard (another feature) receives the two authenticators it declares in
 * `@ailink/gateway-core` (`BearerJwtAuthenticator`, `PortalSessionAuthenticator`) without an import
 * between features.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, TeamEntity, TeamMemberEntity, TeamSpendEntity, ModelAccessGroupEntity, OidcProviderEntity]),
    VaultModule,
  ],
  controllers: [TeamsController, ModelAccessGroupsController, UsersController, OidcProvidersController, SsoController],
  providers: [
    { provide: OutboundUrlGuard, inject: [AppConfig], useFactory: (config: AppConfig) => new OutboundUrlGuard(config.allowedPrivateHosts) },
    TeamsRepository,
    TeamsService,
    ModelAccessGroupsRepository,
    ModelAccessGroupsService,
    {
      provide: ModelAccessSource,
      inject: [TeamsRepository, ModelAccessGroupsRepository],
      useFactory: (teams: TeamsRepository, groups: ModelAccessGroupsRepository): ModelAccessSource => ({
        team: async (id) => {
          const row = await teams.findById(id);
          return row ? toResolvedTeam(row) : null;
        },
        group: async (id) => {
          const row = await groups.findById(id);
          return row ? toResolvedModelGroup(row) : null;
        },
      }),
    },
    ModelAccessCache,
    ModelAccessStage,
    UsersRepository,
    UsersService,
    OidcHttp,
    OidcDiscovery,
    JwksCache,
    OidcProvidersRepository,
    OidcProviderCache,
    OidcProvidersService,
    OidcTokenVerifier,
    OidcIdentityResolver,
    OidcBearerAuthenticator,
    PortalSessions,
    CookieSessionAuthenticator,
    SsoService,
    SsoPassport,
    TeamAuditSnapshot,
    ModelAccessGroupAuditSnapshot,
    OidcProviderAuditSnapshot,
    UserAuditSnapshot,
    { provide: BearerJwtAuthenticator, useExisting: OidcBearerAuthenticator },
    { provide: PortalSessionAuthenticator, useExisting: CookieSessionAuthenticator },
  ],
  exports: [ModelAccessStage, ModelAccessCache, BearerJwtAuthenticator, PortalSessionAuthenticator],
})
export class IdentityModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const IDENTITY_ENTITIES = [OidcProviderEntity, UserEntity, TeamEntity, TeamMemberEntity, TeamSpendEntity, ModelAccessGroupEntity];
