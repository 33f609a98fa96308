import { Injectable, Logger } from '@nestjs/common';
import type { Configuration, ServerMetadata } from 'openid-client';
import { AppConfig } from '@ailink/gateway-core';
import { toProviderConfig, type ProviderConfig } from '../oidc/oidc-provider-cache';
import { decodeJwt } from '../oidc/jwt';
import { OidcDiscovery, type DiscoveryDocument } from '../oidc/oidc-discovery';
import { OidcHttp } from '../oidc/oidc-http';
import { OidcIdentityResolver } from '../oidc/oidc-identity';
import { OidcProvidersRepository } from '../oidc/oidc-providers.repository';
import { OidcProvidersService } from '../oidc/oidc-providers.service';
import { OidcTokenVerifier } from '../oidc/oidc-token-verifier';
import { claimValue } from '../oidc/claim-mapping';
import { UUID } from '../identity-util';
import { safeRedirect } from './cookies';
import { loadOpenIdClient, type OpenIdClient } from './openid-client-loader';
import { PortalSessions, type PortalSession } from './portal-sessions';

/** The portal's sign-in page; SSO errors land there with `?error=`. */
export const PORTAL_LOGIN_PATH = '/login';
export const SSO_CALLBACK_PATH = '/api/v1/auth/sso/callback';

/** `?error=` codes the portal explains. */
export type SsoErrorCode = 'provider_unavailable' | 'access_denied' | 'invalid_state' | 'sso_failed';

export function loginErrorUrl(code: SsoErrorCode): string {
  return `${PORTAL_LOGIN_PATH}?error=${code}`;
}

/** A finished sign-in: the new session and where to send the browser. */
export interface SsoSignIn {
  sessionId: string;
  session: PortalSession;
  redirect: string;
}

/**
 * Portal single sign-on (identity.md §4): the authorization code flow with PKCE (S256) through
 * openid-client. Login stores state, nonce, verifier and landing path for 10 minutes and redirects to
 * the provider; the callback takes that state once, exchanges the code (with the client secret when one
 * is stored, opened by the vault just for the request), verifies the ID token with the gateway's own
 * JWT rules plus the nonce, provisions the user (role, scopes, group → team mapping) and opens a
 * server-side session.
 */
@Injectable()
export class SsoService {
  private readonly logger = new Logger('SsoService');

  constructor(
    private readonly config: AppConfig,
    private readonly repository: OidcProvidersRepository,
    private readonly providers: OidcProvidersService,
    private readonly discovery: OidcDiscovery,
    private readonly http: OidcHttp,
    private readonly verifier: OidcTokenVerifier,
    private readonly identities: OidcIdentityResolver,
    private readonly sessions: PortalSessions,
  ) {}

  get callbackUrl(): string {
    return `${this.config.publicUrl.replace(/\/+$/, '')}${SSO_CALLBACK_PATH}`;
  }

  /** The provider's authorization URL for a new login, or the portal's login page with an error. */
  async login(providerId: string, redirect: unknown): Promise<string> {
    const provider = UUID.test(providerId) ? await this.repository.findById(providerId.toLowerCase()) : null;
    if (!provider || !provider.enabled) return loginErrorUrl('provider_unavailable');
    try {
      const client = await loadOpenIdClient();
      const document = await this.discovery.get(provider.issuerUrl);
      const configuration = this.configuration(client, document, provider.clientId);
      const state = client.randomState();
      const nonce = client.randomNonce();
      const verifier = client.randomPKCECodeVerifier();
      await this.sessions.saveState(state, { provider_id: provider.id, code_verifier: verifier, nonce, redirect: safeRedirect(redirect) });
      return client
        .buildAuthorizationUrl(configuration, {
          redirect_uri: this.callbackUrl,
          scope: provider.scopes,
          state,
          nonce,
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        })
        .toString();
    } catch (error) {
      this.logger.warn(`SSO login with provider ${provider.id} failed: ${describe(error)}`);
      return loginErrorUrl('provider_unavailable');
    }
  }

  /** Finishes a login from the callback's query string; a string is the error page to send the browser to. */
  async callback(query: Record<string, unknown>, rawQuery: string): Promise<SsoSignIn | string> {
    const state = typeof query['state'] === 'string' ? query['state'] : '';
    const saved = state ? await this.sessions.takeState(state) : null;
    if (!saved) return loginErrorUrl('invalid_state');
    if (typeof query['error'] === 'string') {
      this.logger.warn(`SSO provider ${saved.provider_id} refused the login: ${String(query['error']).slice(0, 100)}`);
      return loginErrorUrl('access_denied');
    }
    const row = await this.repository.findById(saved.provider_id);
    if (!row || !row.enabled) return loginErrorUrl('provider_unavailable');
    const provider = toProviderConfig(row);
    let secret: Buffer | null = null;
    try {
      const client = await loadOpenIdClient();
      const document = await this.discovery.get(provider.issuerUrl);
      secret = this.providers.openSecret(row);
      const configuration = this.configuration(client, document, provider.clientId, secret?.toString('utf8'));
      const tokens = await client.authorizationCodeGrant(configuration, new URL(`${this.callbackUrl}${rawQuery}`), {
        pkceCodeVerifier: saved.code_verifier,
        expectedState: state,
        expectedNonce: saved.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.id_token ? decodeJwt(tokens.id_token) : null;
      if (!idToken || !(await this.verifier.verifies(provider, idToken, provider.clientId, saved.nonce))) {
        this.logger.warn(`SSO with provider ${provider.id}: the ID token did not verify`);
        return loginErrorUrl('sso_failed');
      }
      const claims = await this.withUserInfo(client, configuration, document, provider, idToken.payload, tokens.access_token);
      const identity = await this.identities.signIn(provider, claims);
      const created = await this.sessions.create(
        {
          user_id: identity.userId,
          org_id: provider.orgId,
          provider_id: provider.id,
          role: identity.role,
          scopes: identity.scopes,
          email: identity.email,
        },
        this.config.portalSessionTtlSecs,
      );
      return { sessionId: created.id, session: created.session, redirect: saved.redirect };
    } catch (error) {
      this.logger.warn(`SSO callback for provider ${provider.id} failed: ${describe(error)}`);
      return loginErrorUrl('sso_failed');
    } finally {
      secret?.fill(0);
    }
  }

  /** openid-client's view of a provider: its metadata, our client, SSRF-checked fetch, http only outside production. */
  private configuration(client: OpenIdClient, document: DiscoveryDocument, clientId: string, secret?: string): Configuration {
    const methods = document.raw['token_endpoint_auth_methods_supported'];
    const supported = Array.isArray(methods) ? methods : ['client_secret_basic'];
    const auth = !secret
      ? client.None()
      : supported.includes('client_secret_basic')
        ? client.ClientSecretBasic(secret)
        : client.ClientSecretPost(secret);
    const configuration = new client.Configuration(document.raw as unknown as ServerMetadata, clientId, undefined, auth);
    configuration[client.customFetch] = this.http.fetch;
    if (!this.config.isProduction && new URL(document.issuer).protocol === 'http:') client.allowInsecureRequests(configuration);
    return configuration;
  }

  /**
   * ID token claims, completed from the userinfo endpoint when a claim the mapping reads (role, scopes,
   * groups, email) is missing from the ID token (providers often keep groups out of it).
   */
  private async withUserInfo(
    client: OpenIdClient,
    configuration: Configuration,
    document: DiscoveryDocument,
    provider: ProviderConfig,
    claims: Record<string, unknown>,
    accessToken: string | undefined,
  ): Promise<Record<string, unknown>> {
    const mapping = provider.claimMapping;
    const wanted = [mapping.role, mapping.scopes, mapping.groups ?? 'groups', mapping.email ?? 'email'].filter((c): c is string => !!c);
    if (!accessToken || !document.userinfo_endpoint || wanted.every((c) => claimValue(claims, c) !== undefined)) return claims;
    try {
      const info = (await client.fetchUserInfo(configuration, accessToken, String(claims['sub']))) as Record<string, unknown>;
      const merged: Record<string, unknown> = { ...claims };
      for (const [key, value] of Object.entries(info)) if (!(key in merged)) merged[key] = value;
      return merged;
    } catch (error) {
      this.logger.warn(`SSO with provider ${provider.id}: userinfo failed (${describe(error)}); using the ID token alone`);
      return claims;
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message.slice(0, 300)}`;
  }
  return String(error).slice(0, 300);
}
