import { Injectable } from '@nestjs/common';
import { loginErrorUrl, SsoService, type SsoSignIn } from './sso.service';

/**
 * Passport in the portal SSO flow (identity.md §4 "Portal SSO"). passport 0.7 ships no type
 * declarations, so the few parts used here are typed below and the package is loaded with `require`.
 */

/** What the strategy reads from a request: route params, the parsed query and the raw URL (for the callback's query string). */
export interface SsoPassportRequest {
  params: Record<string, string | undefined>;
  query: Record<string, unknown>;
  url: string;
}

/** The part of a Node response passport writes to when a strategy redirects (`statusCode`, `setHeader`, `end`). */
export interface PassportResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): void;
  end(): void;
}

/** The actions passport's authenticate middleware attaches to the per-request strategy object. */
interface PassportStrategyBase {
  name?: string;
  authenticate(req: SsoPassportRequest, options?: object): void;
  success(user: unknown, info?: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  error(error: unknown): void;
}

export type PassportCallback = (error: unknown, user?: unknown, info?: unknown, status?: unknown) => void;
export type PassportMiddleware = (req: SsoPassportRequest, res: PassportResponse, next: (error?: unknown) => void) => void;

export interface PassportAuthenticator {
  use(name: string, strategy: PassportStrategyBase): PassportAuthenticator;
  authenticate(name: string, options: { session: boolean }, callback: PassportCallback): PassportMiddleware;
}

interface PassportModule {
  Strategy: new () => PassportStrategyBase;
  Authenticator: new () => PassportAuthenticator;
}

const passport = require('passport') as PassportModule;

export const SSO_STRATEGY = 'ailink-oidc';

/**
 * The `ailink-oidc` Passport strategy: on the login route (a `provider_id` param) it redirects to the
 * authorization URL SsoService builds (or to `/login?error=`); on the callback it runs SsoService's
 * callback and calls `success(SsoSignIn)` or redirects to the error page. No Express session: state,
 * nonce and PKCE verifier stay in the key-value store, where SsoService keeps them. Errors SsoService
 * throws (store or database down) go to `error()`.
 */
export class AilinkOidcStrategy extends passport.Strategy {
  override name = SSO_STRATEGY;

  constructor(private readonly sso: Pick<SsoService, 'login' | 'callback'>) {
    super();
  }

  override authenticate(req: SsoPassportRequest): void {
    const providerId = req.params['provider_id'];
    const run = providerId !== undefined ? this.login(providerId, req.query['redirect']) : this.finish(req);
    run.catch((error: unknown) => this.error(error));
  }

  private async login(providerId: string, redirect: unknown): Promise<void> {
    this.redirect(await this.sso.login(providerId, redirect));
  }

  private async finish(req: SsoPassportRequest): Promise<void> {
    const q = req.url.indexOf('?');
    const result = await this.sso.callback(req.query, q >= 0 ? req.url.slice(q) : '');
    if (typeof result === 'string') this.redirect(result);
    else this.success(result);
  }
}

/** How a run of the strategy ended: a redirect (the IdP, or `/login?error=`) or a finished sign-in. */
export type SsoOutcome = { redirect: string } | { signIn: SsoSignIn };

/**
 * Runs `authenticate('ailink-oidc', { session: false }, callback)(req, res, next)` with a small response
 * adapter: passport's `redirect()` writes `Location` and ends the response, which the adapter turns into
 * an outcome so the controller answers through Fastify's reply (same headers and hooks as before).
 */
export function runSsoStrategy(authenticator: PassportAuthenticator, req: SsoPassportRequest): Promise<SsoOutcome> {
  return new Promise<SsoOutcome>((resolve, reject) => {
    let location: string | undefined;
    const res: PassportResponse = {
      statusCode: 200,
      setHeader: (name, value) => {
        if (name.toLowerCase() === 'location') location = String(value);
      },
      end: () => (location ? resolve({ redirect: location }) : reject(new Error('SSO strategy ended without a redirect'))),
    };
    const callback: PassportCallback = (error, user) => {
      if (error) reject(error);
      else if (isSignIn(user)) resolve({ signIn: user });
      else resolve({ redirect: loginErrorUrl('sso_failed') });
    };
    authenticator.authenticate(SSO_STRATEGY, { session: false }, callback)(req, res, (error?: unknown) =>
      reject(error ?? new Error('SSO strategy passed the request on')),
    );
  });
}

function isSignIn(user: unknown): user is SsoSignIn {
  return typeof user === 'object' && user !== null && typeof (user as SsoSignIn).sessionId === 'string';
}

/** A private passport Authenticator (not the global singleton) with the `ailink-oidc` strategy registered once. */
@Injectable()
export class SsoPassport {
  readonly authenticator: PassportAuthenticator = new passport.Authenticator();

  constructor(sso: SsoService) {
    this.authenticator.use(SSO_STRATEGY, new AilinkOidcStrategy(sso));
  }
}
