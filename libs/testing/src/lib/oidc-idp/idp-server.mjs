// A local OpenID Provider for the tests (node-oidc-provider), run as a child process by
// `startTestIdp()` (oidc-idp.ts). Configuration comes as JSON in AILINK_TEST_IDP_CONFIG; the first line
// printed on stdout is `{"issuer": "http://127.0.0.1:<port>"}` once it listens.
//
// Sign-in is a plain form (any configured account name, no password) and consent is granted at once,
// so a browser or an HTTP client can finish the authorization code flow without a human.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.AILINK_TEST_IDP_CONFIG ?? '{}');
const accounts = config.accounts ?? {};

const server = createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: config.clients ?? [],
  jwks: config.jwks,
  findAccount: async (_ctx, id) => {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  conformIdTokenClaims: config.conformIdTokenClaims ?? false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['ailink-test-idp-cookie-key-0001'] },
  pkce: { required: () => true },
  ttl: { IdToken: config.idTokenTtlSecs ?? 3600, AccessToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600 },
});

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<main><h1>Test identity provider</h1>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Username</label> <input id="login" name="login" autocomplete="username" autofocus>
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res) {
  const match = /^\/interaction\/([^/?]+)(\/login)?/.exec(req.url);
  if (!match) {
    res.statusCode = 404;
    return res.end();
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(loginPage(details.uid));
    }
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    if (!accounts[login]) {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      return res.end(loginPage(details.uid, `Unknown user ${login}`));
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.statusCode = 400;
    res.setHeader('content-type', 'text/plain');
    res.end(`interaction failed: ${error.message}`);
  }
}

const callback = provider.callback();
server.on('request', (req, res) => (req.url.startsWith('/interaction/') ? interaction(req, res) : callback(req, res)));
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
