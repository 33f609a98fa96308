import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ManagementScope } from '@ailink/shared-contracts';
import type { Principal } from './principal';

export const AUTH_REQUIREMENT = 'ailink:auth-requirement';

/**
 * What a management route requires. Every route declares exactly one of these; the global guard
 * refuses a route that declares none (fail closed), and a test enumerates the routes to prove it.
 */
export type AuthRequirement =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'scope'; scope: ManagementScope; adminOnly: boolean }
  | { kind: 'superadmin' };

/** The only explicit opt-out of authentication. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(AUTH_REQUIREMENT, { kind: 'public' } satisfies AuthRequirement);

/** Any authenticated caller (e.g. `GET /auth/whoami`). */
export const Authenticated = (): MethodDecorator & ClassDecorator =>
  SetMetadata(AUTH_REQUIREMENT, { kind: 'authenticated' } satisfies AuthRequirement);

/** The route's scope (identity.md §2); `adminOnly` marks the catalogue's **R** routes. */
export const RequireScope = (scope: ManagementScope, options: { adminOnly?: boolean } = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(AUTH_REQUIREMENT, { kind: 'scope', scope, adminOnly: options.adminOnly ?? false } satisfies AuthRequirement);

/** Only the super-admin (the admin key), e.g. `/organizations`: no API key, whatever its role or scopes. */
export const RequireSuperAdmin = (): MethodDecorator & ClassDecorator =>
  SetMetadata(AUTH_REQUIREMENT, { kind: 'superadmin' } satisfies AuthRequirement);

/** Injects the authenticated principal into a handler parameter. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal | undefined => {
  const request = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  return request.principal;
});
