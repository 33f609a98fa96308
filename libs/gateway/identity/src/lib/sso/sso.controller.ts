import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiFoundResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PORTAL_SESSION_COOKIE, type PortalSessionResponse, type RoleName, type SsoProviderSummary } from '@ailink/shared-contracts';
import {
  AppConfig,
  Authenticated,
  CurrentPrincipal,
  ErrorCode,
  GatewayError,
  Public,
  type Principal,
  type Role,
} from '@ailink/gateway-core';
import { OidcProvidersService } from '../oidc/oidc-providers.service';
import { runSsoStrategy, SsoPassport, type SsoOutcome } from './ailink-oidc.strategy';
import { clearedCookie, readCookie, sessionCookie } from './cookies';
import { CookieSessionAuthenticator } from './portal-session.authenticator';
import { PortalSessions } from './portal-sessions';

const ROLE_NAMES: Record<Role, RoleName> = { superadmin: 'SuperAdmin', admin: 'Admin', member: 'Member', readonly: 'ReadOnly' };

/**
 * Portal single sign-on and sessions (identity.md §4 "Portal SSO"; management-api.md "Identity"):
 * the public provider list, login and callback, then `GET /auth/session` and `POST /auth/logout` for
 * callers signed in with the `ailink_session` cookie (any other credential → 401 on those two).
 */
@ApiTags('auth')
@Controller('auth')
export class SsoController {
  constructor(
    private readonly config: AppConfig,
    private readonly passport: SsoPassport,
    private readonly providers: OidcProvidersService,
    private readonly sessions: PortalSessions,
    private readonly sessionAuth: CookieSessionAuthenticator,
  ) {}

  @Get('sso/providers')
  @Public()
  @ApiOperation({ summary: 'Enabled SSO providers (id and display name only), for the portal’s sign-in page' })
  @ApiOkResponse({ description: '[{id, name}]' })
  list(): Promise<SsoProviderSummary[]> {
    return this.providers.ssoProviders();
  }

  @Get('sso/callback')
  @Public()
  @ApiOperation({ summary: 'Authorization-code callback: sets the ailink_session cookie and redirects to the portal' })
  @ApiFoundResponse({ description: 'To the portal path; errors to /login?error=' })
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const outcome = await this.authenticate(request);
    if ('redirect' in outcome) return this.redirect(reply, outcome.redirect);
    reply.header(
      'set-cookie',
      sessionCookie(PORTAL_SESSION_COOKIE, outcome.signIn.sessionId, {
        maxAgeSecs: this.config.portalSessionTtlSecs,
        secure: this.secureCookies,
      }),
    );
    return this.redirect(reply, outcome.signIn.redirect);
  }

  @Get('sso/:provider_id/login')
  @Public()
  @ApiOperation({ summary: 'Start an SSO login (authorization code + PKCE); `redirect` is the portal path to land on' })
  @ApiParam({ name: 'provider_id', type: String })
  @ApiQuery({ name: 'redirect', type: String, required: false })
  @ApiFoundResponse({ description: 'To the provider’s authorization endpoint' })
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const outcome = await this.authenticate(request);
    return this.redirect(reply, 'redirect' in outcome ? outcome.redirect : outcome.signIn.redirect);
  }

  @Get('session')
  @Authenticated()
  @ApiOperation({ summary: 'The portal session: whoami plus its CSRF token and expiry (session cookie only)' })
  @ApiOkResponse({ description: '{org_id, user_id, role, scopes, auth_method: "session", email?, csrf_token, expires_at}' })
  async session(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<PortalSessionResponse> {
    const id = principal.authMethod === 'session' ? readCookie(request.headers['cookie'], PORTAL_SESSION_COOKIE) : undefined;
    const session = id ? await this.sessionAuth.load(id) : null;
    if (!session) throw new GatewayError(ErrorCode.Unauthorized, 'No portal session: sign in through SSO');
    const body: PortalSessionResponse = {
      org_id: principal.orgId,
      user_id: principal.userId,
      role: ROLE_NAMES[principal.role],
      scopes: [...principal.scopes],
      auth_method: 'session',
      csrf_token: session.csrf_token,
      expires_at: session.expires_at,
    };
    if (principal.email) body.email = principal.email;
    return body;
  }

  @Post('logout')
  @HttpCode(204)
  @Authenticated()
  @ApiOperation({ summary: 'End the portal session (needs X-CSRF-Token)' })
  @ApiNoContentResponse({ description: 'Session deleted, cookie cleared' })
  async logout(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const id = principal.authMethod === 'session' ? readCookie(request.headers['cookie'], PORTAL_SESSION_COOKIE) : undefined;
    if (!id) throw new GatewayError(ErrorCode.Unauthorized, 'No portal session: sign in through SSO');
    await this.sessions.delete(id);
    reply.header('set-cookie', clearedCookie(PORTAL_SESSION_COOKIE, { secure: this.secureCookies }));
  }

  private get secureCookies(): boolean {
    return this.config.isProduction || this.config.publicUrl.startsWith('https:');
  }

  /** Login and callback run through passport's `ailink-oidc` strategy (openid-client stays inside SsoService). */
  private authenticate(request: FastifyRequest): Promise<SsoOutcome> {
    return runSsoStrategy(this.passport.authenticator, {
      params: (request.params ?? {}) as Record<string, string | undefined>,
      query: (request.query ?? {}) as Record<string, unknown>,
      url: request.url,
    });
  }

  private redirect(reply: FastifyReply, location: string): void {
    void reply.header('cache-control', 'no-store').redirect(location, 302);
  }
}
