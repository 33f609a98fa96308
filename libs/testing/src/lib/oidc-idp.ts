import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { join } from 'node:path';

/** A user of the test identity provider: its claims (`sub` is the account name). */
export interface TestIdpAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
  [claim: string]: unknown;
}

export interface TestIdpClient {
  client_id: string;
  client_secret?: string;
  redirect_uris: string[];
  token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none';
  grant_types?: string[];
  response_types?: string[];
}

export interface TestIdpOptions {
  clients: TestIdpClient[];
  accounts: Record<string, TestIdpAccount>;
  /** ID token lifetime (default 3600 s). */
  idTokenTtlSecs?: number;
  /** Listen on this port (default: any free one). */
  port?: number;
}

/** A running local OpenID Provider (node-oidc-provider in a child process). */
export interface TestIdp {
  /** `http://127.0.0.1:<port>` — equal to the `iss` of its tokens. */
  issuer: string;
  /** The kid of its signing key (RS256). */
  kid: string;
  /** Signs a JWT with the IdP's own key (for expired or wrong-audience tokens the IdP would not issue). */
  signJwt(payload: Record<string, unknown>, header?: Record<string, unknown>): string;
  stop(): Promise<void>;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs an RS256 JWT with `key` (tests: the IdP's key, or another one to forge). */
export function signRs256(payload: Record<string, unknown>, key: KeyObject, header: Record<string, unknown> = {}): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Starts node-oidc-provider as a local IdP (authorization code + PKCE, discovery, JWKS, userinfo). It
 * runs in a child process because oidc-provider is ESM-only; `stop()` ends that process.
 */
export async function startTestIdp(options: TestIdpOptions): Promise<TestIdp> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${randomUUID().slice(0, 8)}`;
  const jwk: JsonWebKey = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'oidc-idp', 'idp-server.mjs')], {
    env: {
      PATH: process.env['PATH'],
      NODE_ENV: 'test',
      AILINK_TEST_IDP_CONFIG: JSON.stringify({
        clients: options.clients,
        accounts: options.accounts,
        jwks: { keys: [jwk] },
        idTokenTtlSecs: options.idTokenTtlSecs,
        port: options.port,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test IdP did not start within 15 s:\n${output}`)), 15000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{"issuer"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { issuer: string }).issuer);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test IdP exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    issuer,
    kid,
    signJwt: (payload, header = {}) => signRs256(payload, privateKey, { kid, ...header }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A minimal cookie jar for following the IdP's redirects with fetch. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  header(): string {
    return Array.from(this.cookies.entries())
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  }
}

/**
 * Completes a sign-in at the test IdP as `login`, starting from the authorization URL the gateway
 * redirected to; returns the URL the IdP finally redirects to (the gateway's callback with `code`
 * and `state`), without requesting it.
 */
export async function completeIdpLogin(authorizationUrl: string, login: string): Promise<string> {
  const jar = new CookieJar();
  const issuerOrigin = new URL(authorizationUrl).origin;
  let url = authorizationUrl;
  let method = 'GET';
  let body: string | undefined;
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: { cookie: jar.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    jar.store(response);
    const location = response.headers.get('location');
    await response.text();
    if (response.status === 200 && /\/interaction\/[^/]+$/.test(new URL(url).pathname)) {
      url = `${url}/login`;
      method = 'POST';
      body = new URLSearchParams({ login }).toString();
      continue;
    }
    if (!location || response.status < 300 || response.status >= 400) {
      throw new Error(`unexpected answer ${response.status} from ${url}`);
    }
    const next = new URL(location, url);
    if (next.origin !== issuerOrigin) return next.toString();
    url = next.toString();
    method = 'GET';
    body = undefined;
  }
  throw new Error('too many redirects at the test IdP');
}
