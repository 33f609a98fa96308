import { Injectable, Logger } from '@nestjs/common';
import { BearerJwtAuthenticator, ErrorCode, GatewayError, type AuthenticationRequest, type Principal } from '@ailink/gateway-core';
import { audiences, decodeJwt } from './jwt';
import { OidcIdentityResolver } from './oidc-identity';
import { OidcProviderCache, type ProviderConfig } from './oidc-provider-cache';
import { OidcTokenVerifier } from './oidc-token-verifier';

const INVALID = 'Invalid or expired bearer token';

/** The bearer credential of a request, or undefined. */
export function bearerOf(headers: AuthenticationRequest['headers']): string | undefined {
  const authorization = headers['authorization'];
  if (typeof authorization !== 'string' || !/^bearer /i.test(authorization)) return undefined;
  const value = authorization.slice(7).trim();
  return value === '' ? undefined : value;
}

/**
 * Row 3 of identity.md §1: `Authorization: Bearer <JWT>` (three dot-separated parts, not `ak_…`). The
 * unverified `iss` and `aud` select the candidates — enabled providers with that issuer whose
 * `audience` (else `client_id`) is in `aud` — and exactly one must verify (signature by the provider's
 * JWKS, issuer, audience, expiry with 60 s leeway, `sub`: OidcTokenVerifier), else 401. No enabled provider for the issuer:
 * undefined, so the guard goes on to API keys (and ends with 401). Providers come from the cache tiers,
 * JWK sets from process memory: a warm call makes no database or IdP round trip.
 */
@Injectable()
export class OidcBearerAuthenticator extends BearerJwtAuthenticator {
  private readonly logger = new Logger('OidcBearerAuthenticator');

  constructor(
    private readonly providers: OidcProviderCache,
    private readonly verifier: OidcTokenVerifier,
    private readonly identities: OidcIdentityResolver,
  ) {
    super();
  }

  async authenticate(request: AuthenticationRequest): Promise<Principal | undefined> {
    const bearer = bearerOf(request.headers);
    if (!bearer || bearer.startsWith('ak_')) return undefined;
    const jwt = decodeJwt(bearer);
    if (!jwt) return undefined;
    const issuer = jwt.payload['iss'];
    if (typeof issuer !== 'string' || issuer === '') return undefined;
    const enabled = (await this.providers.forIssuer(issuer)).filter((p) => p.enabled);
    if (enabled.length === 0) return undefined;

    const aud = audiences(jwt.payload['aud']);
    const verified: ProviderConfig[] = [];
    for (const provider of enabled.filter((p) => aud.includes(p.audience ?? p.clientId))) {
      if (await this.verifier.verifies(provider, jwt, provider.audience ?? provider.clientId)) verified.push(provider);
    }
    if (verified.length !== 1) {
      if (verified.length > 1)
        this.logger.warn(`A bearer JWT of ${issuer} verified for ${verified.length} providers: refused as ambiguous`);
      throw new GatewayError(ErrorCode.Unauthorized, INVALID);
    }
    const provider = verified[0];
    const identity = await this.identities.bearer(provider, jwt.payload);
    const principal: Principal = {
      orgId: provider.orgId,
      userId: identity.userId,
      role: identity.role,
      scopes: identity.scopes,
      authMethod: 'oidc',
    };
    if (identity.email) principal.email = identity.email;
    return principal;
  }
}
