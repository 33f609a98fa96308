import type { Principal } from './principal';

/** What an authenticator reads of a management request (a Fastify request satisfies it). */
export interface AuthenticationRequest {
  readonly method: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * Row 3 of identity.md §1: `Authorization: Bearer <JWT>` from a configured OIDC provider. Provided by
 * the identity feature; the auth guard injects it optionally (a feature cannot import another).
 *
 * Returns undefined when the request carries no JWT, or one whose issuer no provider claims (the guard
 * then tries the next credential); throws 401 `unauthorized` for a JWT a provider claims but that does
 * not verify.
 */
export abstract class BearerJwtAuthenticator {
  abstract authenticate(request: AuthenticationRequest): Promise<Principal | undefined>;
}

/**
 * Row 5 of identity.md §1: the portal's `ailink_session` cookie. Returns undefined when no session
 * cookie is presented; throws 401 for an unknown or expired session and 403 for an unsafe method
 * without the session's CSRF token.
 */
export abstract class PortalSessionAuthenticator {
  abstract authenticate(request: AuthenticationRequest): Promise<Principal | undefined>;
}
