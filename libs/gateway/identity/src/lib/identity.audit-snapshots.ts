import { Injectable } from '@nestjs/common';
import type { ModelAccessGroup, OidcProvider, Team, User } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, GatewayError, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { ModelAccessGroupsService } from './model-access/model-access-groups.service';
import { OidcProvidersService } from './oidc/oidc-providers.service';
import { TeamsService } from './teams/teams.service';
import { UsersService } from './users/users.service';

/** Not found (or not visible) is "no snapshot"; anything else propagates. */
async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof GatewayError) return null;
    throw error;
  }
}

/** Before/after snapshots of a team for the admin audit trail (the Team representation). */
@Injectable()
@AdminAuditSnapshot({ kind: 'team', routes: ['/teams', '/teams/:id'] })
export class TeamAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly teams: TeamsService) {}

  snapshot(principal: Principal, id: string): Promise<Team | null> {
    return orNull(() => this.teams.get(principal, id));
  }
}

/** Before/after snapshots of a model access group (the Group representation). */
@Injectable()
@AdminAuditSnapshot({ kind: 'model_access_group', routes: ['/model-access-groups', '/model-access-groups/:id'] })
export class ModelAccessGroupAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly groups: ModelAccessGroupsService) {}

  snapshot(principal: Principal, id: string): Promise<ModelAccessGroup | null> {
    return orNull(() => this.groups.get(principal, id));
  }
}

/** Before/after snapshots of an OIDC provider (never the client secret: the API representation has none). */
@Injectable()
@AdminAuditSnapshot({ kind: 'oidc_provider', routes: ['/oidc/providers', '/oidc/providers/:id'] })
export class OidcProviderAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly providers: OidcProvidersService) {}

  snapshot(principal: Principal, id: string): Promise<OidcProvider | null> {
    return orNull(() => this.providers.get(principal, id));
  }
}

/** After snapshots of a user created by an admin. */
@Injectable()
@AdminAuditSnapshot({ kind: 'user', routes: ['/users'] })
export class UserAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly users: UsersService) {}

  snapshot(principal: Principal, id: string): Promise<User | null> {
    return this.users.find(principal, id);
  }
}
