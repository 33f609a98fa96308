import { Injectable, Optional, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import {
  AUTH_REQUIREMENT,
  BearerJwtAuthenticator,
  ErrorCode,
  GatewayError,
  PortalSessionAuthenticator,
  isAllowed,
  type AuthRequirement,
  type Principal,
} from '@ailink/gateway-core';
import { AdminKeyAuthenticator } from './admin-key.authenticator';
import { ApiKeyAuthenticator } from './api-keys/api-key.authenticator';

/**
 * The global guard of the Management API. Fails closed: a route must declare `@Public()`,
 * `@Authenticated()`, `@RequireScope(...)` or `@RequireSuperAdmin()`; one that declares nothing is
 * refused for everyone. Credentials are tried in the order of identity.md §1: the admin key
 * (`X-Admin-Key` or bearer), a bearer JWT of an OIDC provider, a bearer API key (`ak_live_…`), then
 * the portal's session cookie. The JWT and session authenticators come from the identity feature
 * through abstract classes of `@ailink/gateway-core` (optional: absent, those rows are skipped).
 */
@Injectable()
export class ManagementAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly adminKey: AdminKeyAuthenticator,
    private readonly apiKeys: ApiKeyAuthenticator,
    @Optional() private readonly jwt?: BearerJwtAuthenticator,
    @Optional() private readonly session?: PortalSessionAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_REQUIREMENT, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (requirement?.kind === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const principal =
      this.adminKey.authenticate(request.headers) ??
      (await this.jwt?.authenticate(request)) ??
      (await this.apiKeys.authenticate(request.headers)) ??
      (await this.session?.authenticate(request));
    if (!principal)
      throw new GatewayError(ErrorCode.Unauthorized, 'Missing or invalid credentials: send X-Admin-Key or Authorization: Bearer <API key>');
    request.principal = principal;
    authorize(principal, requirement);
    return true;
  }
}

/** Throws 403 unless the principal meets the route's declared requirement (identity.md §2). */
export function authorize(principal: Principal, requirement: AuthRequirement | undefined): void {
  if (!requirement) throw new GatewayError(ErrorCode.Forbidden, 'This route declares no access rule and is closed');
  switch (requirement.kind) {
    case 'public':
    case 'authenticated':
      return;
    case 'superadmin':
      if (principal.role !== 'superadmin') throw new GatewayError(ErrorCode.Forbidden, 'Requires the super-admin (admin key)');
      return;
    case 'scope':
      if (!isAllowed(principal, requirement.scope, requirement.adminOnly)) {
        throw new GatewayError(
          ErrorCode.Forbidden,
          requirement.adminOnly ? `Requires an admin role and the scope ${requirement.scope}` : `Requires the scope ${requirement.scope}`,
        );
      }
      return;
  }
}
