import { Injectable, Logger } from '@nestjs/common';
import { JwtError, verifyClaims, verifySignature, type DecodedJwt } from './jwt';
import { JwksCache } from './jwks-cache';
import { OidcDiscovery } from './oidc-discovery';
import { OidcHttpError } from './oidc-http';
import type { ProviderConfig } from './oidc-provider-cache';

/**
 * Verifies a JWT for one provider (identity.md §4): the key from the provider's JWKS (`jwks_uri`, else
 * discovery; cached 1 h, refetched once on an unknown `kid`), the signature, `iss` = `issuer_url`, `aud`
 * containing the audience, `exp`/`nbf` with 60 s leeway, `sub`, and `nonce` when one is expected.
 */
@Injectable()
export class OidcTokenVerifier {
  private readonly logger = new Logger('OidcTokenVerifier');
  /** The clock in seconds (replaceable in tests). */
  nowSecs: () => number = () => Math.floor(Date.now() / 1000);

  constructor(
    private readonly discovery: OidcDiscovery,
    private readonly jwks: JwksCache,
  ) {}

  /** Whether the JWT verifies (any failure, the IdP being unreachable included, is a no: logged at debug). */
  async verifies(provider: ProviderConfig, jwt: DecodedJwt, audience: string, nonce?: string): Promise<boolean> {
    try {
      const jwksUri = provider.jwksUri ?? (await this.discovery.get(provider.issuerUrl)).jwks_uri;
      const key = await this.jwks.keyFor(jwksUri, jwt);
      if (!key) throw new JwtError('unknown_key', 'no key of the provider fits the token');
      verifySignature(jwt, key);
      verifyClaims(jwt.payload, { issuer: provider.issuerUrl, audience, nowSecs: this.nowSecs(), nonce });
      return true;
    } catch (error) {
      if (error instanceof JwtError || error instanceof OidcHttpError) {
        this.logger.debug(`JWT refused for OIDC provider ${provider.id}: ${error.message}`);
        return false;
      }
      throw error;
    }
  }
}
