import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PORTAL_SESSION_COOKIE } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, PortalSessionAuthenticator, type AuthenticationRequest, type Principal } from '@ailink/gateway-core';
import { OidcProviderCache } from '../oidc/oidc-provider-cache';
import { readCookie } from './cookies';
import { PortalSessions, type PortalSession } from './portal-sessions';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Row 5 of identity.md §1: the `ailink_session` cookie. The session comes from the key-value store;
 * its provider must still exist and be enabled (disabling or removing a provider ends its sessions);
 * unsafe methods also need `X-CSRF-Token` equal to the session's token (else 403).
 */
@Injectable()
export class CookieSessionAuthenticator extends PortalSessionAuthenticator {
  constructor(
    private readonly sessions: PortalSessions,
    private readonly providers: OidcProviderCache,
  ) {
    super();
  }

  async authenticate(request: AuthenticationRequest): Promise<Principal | undefined> {
    const id = readCookie(request.headers['cookie'], PORTAL_SESSION_COOKIE);
    if (!id) return undefined;
    const session = await this.load(id);
    if (!session) throw new GatewayError(ErrorCode.Unauthorized, 'The portal session has ended: sign in again');
    if (!SAFE_METHODS.has(request.method.toUpperCase())) {
      const header = request.headers['x-csrf-token'];
      if (typeof header !== 'string' || !sameToken(header, session.csrf_token)) {
        throw new GatewayError(ErrorCode.Forbidden, 'Missing or wrong X-CSRF-Token for this session');
      }
    }
    const principal: Principal = {
      orgId: session.org_id,
      userId: session.user_id,
      role: session.role,
      scopes: session.scopes,
      authMethod: 'session',
    };
    if (session.email) principal.email = session.email;
    return principal;
  }

  /** The session of this id, if live and its provider still enabled. */
  async load(id: string): Promise<PortalSession | null> {
    const session = await this.sessions.get(id);
    if (!session) return null;
    const provider = await this.providers.provider(session.provider_id);
    if (!provider || !provider.enabled || provider.orgId !== session.org_id) return null;
    return session;
  }
}
