import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTH_REQUIREMENT, ErrorCode, GatewayError, isAllowed, type AuthRequirement, type Principal } from '@ailink/gateway-core';
import { AdminKeyAuthenticator } from './admin-key.authenticator';

/**
 * The global guard of the Management API. Fails closed: a route must declare `@Public()`,
 * `@Authenticated()` or `@RequireScope(...)`; one that declares nothing is refused for everyone.
 */
@Injectable()
export class ManagementAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly adminKey: AdminKeyAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_REQUIREMENT, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (requirement?.kind === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const principal = this.adminKey.authenticate(request.headers);
    if (!principal)
      throw new GatewayError(ErrorCode.Unauthorized, 'Missing or invalid credentials: send X-Admin-Key or Authorization: Bearer <API key>');
    request.principal = principal;
    if (!requirement) throw new GatewayError(ErrorCode.Forbidden, 'This route declares no access rule and is closed');
    if (requirement.kind === 'authenticated') return true;
    if (!isAllowed(principal, requirement.scope, requirement.adminOnly)) {
      throw new GatewayError(
        ErrorCode.Forbidden,
        requirement.adminOnly ? `Requires an admin role and the scope ${requirement.scope}` : `Requires the scope ${requirement.scope}`,
      );
    }
    return true;
  }
}
