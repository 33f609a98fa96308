import { AilinkOidcStrategy, runSsoStrategy, SSO_STRATEGY, SsoPassport, type SsoPassportRequest } from './ailink-oidc.strategy';
import { loginErrorUrl, type SsoService, type SsoSignIn } from './sso.service';

type SsoFlow = Pick<SsoService, 'login' | 'callback'>;

const SIGN_IN: SsoSignIn = {
  sessionId: 'session-id',
  session: {} as SsoSignIn['session'],
  redirect: '/tokens',
};

/** A stand-in for SsoService's two entry points that records its calls. */
function flow(overrides: Partial<SsoFlow> = {}): SsoFlow & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    login: overrides.login ?? (async (...args) => (calls.push(['login', ...args]), 'https://idp.example/authorize?state=s')),
    callback: overrides.callback ?? (async (...args) => (calls.push(['callback', ...args]), SIGN_IN)),
  };
}

function run(sso: SsoFlow, req: SsoPassportRequest) {
  return runSsoStrategy(new SsoPassport(sso as SsoService).authenticator, req);
}

describe('AilinkOidcStrategy (passport)', () => {
  it('is a passport Strategy named ailink-oidc', () => {
    const passport = require('passport') as { Strategy: new () => object; _strategy(name: string): unknown };
    const strategy = new AilinkOidcStrategy(flow());
    expect(strategy).toBeInstanceOf(passport.Strategy);
    expect(strategy.name).toBe(SSO_STRATEGY);
    new SsoPassport(flow() as unknown as SsoService);
    expect(passport._strategy(SSO_STRATEGY)).toBeUndefined(); // a private Authenticator, not the global one
  });

  it('redirects to the authorization URL on the login route', async () => {
    const sso = flow();
    const outcome = await run(sso, { params: { provider_id: 'p-1' }, query: { redirect: '/tokens' }, url: '/api/v1/auth/sso/p-1/login' });
    expect(outcome).toEqual({ redirect: 'https://idp.example/authorize?state=s' });
    expect(sso.calls).toEqual([['login', 'p-1', '/tokens']]);
  });

  it('redirects to the error page SsoService returns on login', async () => {
    const outcome = await run(flow({ login: async () => loginErrorUrl('provider_unavailable') }), {
      params: { provider_id: 'nope' },
      query: {},
      url: '/x',
    });
    expect(outcome).toEqual({ redirect: '/login?error=provider_unavailable' });
  });

  it('succeeds with the sign-in on the callback, passing the raw query string', async () => {
    const sso = flow();
    const url = '/api/v1/auth/sso/callback?code=c&state=s%2B1';
    const outcome = await run(sso, { params: {}, query: { code: 'c', state: 's+1' }, url });
    expect(outcome).toEqual({ signIn: SIGN_IN });
    expect(sso.calls).toEqual([['callback', { code: 'c', state: 's+1' }, '?code=c&state=s%2B1']]);
  });

  it('redirects to the same /login?error= page when the callback fails', async () => {
    const outcome = await run(flow({ callback: async () => loginErrorUrl('invalid_state') }), {
      params: {},
      query: { state: 'replayed' },
      url: '/api/v1/auth/sso/callback?state=replayed',
    });
    expect(outcome).toEqual({ redirect: '/login?error=invalid_state' });
  });

  it('hands errors SsoService throws to passport, which rejects the run', async () => {
    const boom = new Error('store down');
    const sso = flow({
      callback: async () => {
        throw boom;
      },
    });
    await expect(run(sso, { params: {}, query: {}, url: '/cb' })).rejects.toBe(boom);
  });
});
