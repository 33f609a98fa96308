import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboundUrlGuard, loadConfig } from '@ailink/gateway-core';
import { JWKS_TTL_MS, JwksCache } from './jwks-cache';
import { decodeJwt, verifySignature } from './jwt';
import { OidcDiscovery, parseDiscovery } from './oidc-discovery';
import { OidcHttp, OidcHttpError } from './oidc-http';

function keyPair(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' } };
}

function jwt(kid: string, key: ReturnType<typeof keyPair>['privateKey']): string {
  const input = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid })).toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

describe('JWKS cache and discovery (a local HTTP server as the IdP)', () => {
  let server: Server;
  let base: string;
  let jwks: { keys: unknown[] } = { keys: [] };
  let discovery: Record<string, unknown> = {};
  let fetches = 0;
  let http: OidcHttp;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/jwks') {
        fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(jwks));
      } else if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify(discovery));
      } else if (req.url === '/redirect') {
        res.statusCode = 302;
        res.setHeader('location', '/jwks');
        res.end();
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const config = loadConfig(
      {
        AILINK_MASTER_KEY: 'ab'.repeat(32),
        AILINK_ADMIN_KEY: 'jwks-cache-spec-admin-key',
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'jwks-')),
      },
      { version: '0', defaultPortalDir: '/nonexistent' },
    );
    http = new OidcHttp(config, new OutboundUrlGuard([]));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fetches once, keeps the set an hour, and refetches once when a rotated kid appears', async () => {
    const first = keyPair('k1');
    const second = keyPair('k2');
    jwks = { keys: [first.jwk] };
    fetches = 0;
    let now = 1_000_000;
    const cache = new JwksCache(http);
    cache.now = () => now;
    const uri = `${base}/jwks`;

    const token1 = decodeJwt(jwt('k1', first.privateKey))!;
    const key1 = await cache.keyFor(uri, token1);
    expect(key1?.kid).toBe('k1');
    expect(() => verifySignature(token1, key1!)).not.toThrow();
    await cache.keyFor(uri, token1);
    expect(fetches).toBe(1);

    // The IdP rotates: a token with the new kid makes the cache refetch once (after the cooldown).
    jwks = { keys: [first.jwk, second.jwk] };
    now += 10_000;
    const token2 = decodeJwt(jwt('k2', second.privateKey))!;
    expect((await cache.keyFor(uri, token2))?.kid).toBe('k2');
    expect(fetches).toBe(2);

    // Unknown kids right after a fetch do not hammer the IdP.
    expect(await cache.keyFor(uri, decodeJwt(jwt('k3', second.privateKey))!)).toBeUndefined();
    expect(fetches).toBe(2);

    // After an hour the set is fetched again.
    now += JWKS_TTL_MS;
    await cache.keyFor(uri, token1);
    expect(fetches).toBe(3);
  });

  it('refuses redirects, non-JSON answers and cloud metadata hosts', async () => {
    await expect(http.getJson(new URL(`${base}/redirect`))).rejects.toThrow(OidcHttpError);
    await expect(http.getJson(new URL(`${base}/missing`))).rejects.toThrow('HTTP 404');
    await expect(http.getJson(new URL('http://169.254.169.254/latest'))).rejects.toThrow(/metadata/);
  });

  it('checks that a discovery document names the issuer and a jwks_uri', async () => {
    discovery = { issuer: base, jwks_uri: `${base}/jwks`, authorization_endpoint: `${base}/auth` };
    const documents = new OidcDiscovery(http);
    expect((await documents.get(base)).authorization_endpoint).toBe(`${base}/auth`);
    expect(() => parseDiscovery(base, { issuer: 'https://elsewhere', jwks_uri: `${base}/jwks` })).toThrow(/issuer/);
    expect(() => parseDiscovery(base, { issuer: base })).toThrow(/jwks_uri/);
    discovery = { issuer: 'https://elsewhere', jwks_uri: `${base}/jwks` };
    await expect(documents.fetch(base)).rejects.toThrow(OidcHttpError);
  });
});
