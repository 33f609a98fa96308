import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { audiences, decodeJwt, parseJwks, selectKey, verifyClaims, verifySignature, JwtError, type VerificationKey } from './jwt';

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

type Alg = 'RS256' | 'PS384' | 'ES256' | 'ES384' | 'EdDSA';

function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject, alg: Alg): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const data = Buffer.from(input);
  let signature: Buffer;
  switch (alg) {
    case 'RS256':
      signature = sign('sha256', data, key);
      break;
    case 'PS384':
      signature = sign('sha384', data, { key, padding: 6, saltLength: -1 });
      break;
    case 'ES256':
      signature = sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
      break;
    case 'ES384':
      signature = sign('sha384', data, { key, dsaEncoding: 'ieee-p1363' });
      break;
    case 'EdDSA':
      signature = sign(null, data, key);
      break;
  }
  return `${input}.${signature.toString('base64url')}`;
}

function keyPair(alg: Alg): { privateKey: KeyObject; jwk: Record<string, unknown> } {
  const pair =
    alg === 'RS256' || alg === 'PS384'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : alg === 'ES384'
          ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
          : generateKeyPairSync('ed25519');
  return { privateKey: pair.privateKey, jwk: { ...pair.publicKey.export({ format: 'jwk' }), kid: `k-${alg}`, use: 'sig' } };
}

const NOW = 1_800_000_000;
const claims = { iss: 'https://idp.example', aud: 'ailink', sub: 'user-1', exp: NOW + 300, iat: NOW };
const checks = { issuer: 'https://idp.example', audience: 'ailink', nowSecs: NOW };

function reason(fn: () => void): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof JwtError) return error.reason;
    throw error;
  }
}

describe('JWT verification (identity.md §4)', () => {
  it.each<Alg>(['RS256', 'PS384', 'ES256', 'ES384', 'EdDSA'])('verifies %s signatures and refuses tampered ones', (alg) => {
    const { privateKey, jwk } = keyPair(alg);
    const keys = parseJwks({ keys: [jwk] });
    const token = signJwt({ alg, kid: jwk['kid'] }, claims, privateKey, alg);
    const decoded = decodeJwt(token)!;
    const key = selectKey(keys, decoded.header) as VerificationKey;
    expect(key).toBeDefined();
    expect(reason(() => verifySignature(decoded, key))).toBe('ok');

    const [h, , s] = token.split('.');
    const tampered = decodeJwt(`${h}.${b64({ ...claims, sub: 'admin' })}.${s}`)!;
    expect(reason(() => verifySignature(tampered, key))).toBe('signature');
  });

  it('refuses a token signed by another key with the same kid (forged)', () => {
    const real = keyPair('RS256');
    const forger = keyPair('RS256');
    const token = signJwt({ alg: 'RS256', kid: real.jwk['kid'] }, claims, forger.privateKey, 'RS256');
    const decoded = decodeJwt(token)!;
    const key = selectKey(parseJwks({ keys: [real.jwk] }), decoded.header)!;
    expect(reason(() => verifySignature(decoded, key))).toBe('signature');
  });

  it('never accepts none or HMAC algorithms, even with a key of the set', () => {
    const { jwk } = keyPair('RS256');
    const keys = parseJwks({ keys: [jwk] });
    const none = decodeJwt(`${b64({ alg: 'none' })}.${b64(claims)}.`)!;
    expect(selectKey(keys, none.header)).toBeUndefined();
    const input = `${b64({ alg: 'HS256', kid: jwk['kid'] })}.${b64(claims)}`;
    const hs = decodeJwt(`${input}.${createHmac('sha256', JSON.stringify(jwk)).update(input).digest('base64url')}`)!;
    expect(selectKey(keys, hs.header)).toBeUndefined();
    expect(reason(() => verifySignature(hs, keys[0]))).toBe('algorithm');
  });

  it('chooses by kid (undefined for an unknown kid), else the first key fitting the algorithm', () => {
    const rsa = keyPair('RS256');
    const ec = keyPair('ES256');
    const keys = parseJwks({ keys: [ec.jwk, rsa.jwk, { kty: 'oct', k: 'c2VjcmV0' }, { ...rsa.jwk, kid: 'enc', use: 'enc' }] });
    expect(keys.map((k) => k.kid)).toEqual(['k-ES256', 'k-RS256']);
    expect(selectKey(keys, { alg: 'RS256', kid: 'k-RS256' })?.kid).toBe('k-RS256');
    expect(selectKey(keys, { alg: 'RS256', kid: 'rotated' })).toBeUndefined();
    expect(selectKey(keys, { alg: 'RS256', kid: 'k-ES256' })).toBeUndefined();
    expect(selectKey(keys, { alg: 'ES256' })?.kid).toBe('k-ES256');
    expect(selectKey(keys, { alg: 'RS256' })?.kid).toBe('k-RS256');
  });

  it('checks issuer, audience, expiry, not-before (60 s leeway), subject and nonce', () => {
    expect(reason(() => verifyClaims(claims, checks))).toBe('ok');
    expect(reason(() => verifyClaims({ ...claims, iss: 'https://evil.example' }, checks))).toBe('issuer');
    expect(reason(() => verifyClaims({ ...claims, aud: ['other', 'ailink'] }, checks))).toBe('ok');
    expect(reason(() => verifyClaims({ ...claims, aud: 'other' }, checks))).toBe('audience');
    expect(reason(() => verifyClaims({ ...claims, exp: NOW - 59 }, checks))).toBe('ok');
    expect(reason(() => verifyClaims({ ...claims, exp: NOW - 61 }, checks))).toBe('expired');
    expect(reason(() => verifyClaims({ ...claims, exp: undefined }, checks))).toBe('expired');
    expect(reason(() => verifyClaims({ ...claims, nbf: NOW + 59 }, checks))).toBe('ok');
    expect(reason(() => verifyClaims({ ...claims, nbf: NOW + 120 }, checks))).toBe('not_yet_valid');
    expect(reason(() => verifyClaims({ ...claims, sub: '' }, checks))).toBe('subject');
    expect(reason(() => verifyClaims({ ...claims, nonce: 'n1' }, { ...checks, nonce: 'n1' }))).toBe('ok');
    expect(reason(() => verifyClaims({ ...claims, nonce: 'n2' }, { ...checks, nonce: 'n1' }))).toBe('nonce');
  });

  it('decodes only compact JWS with JSON header and payload', () => {
    expect(decodeJwt('ak_live_x')).toBeNull();
    expect(decodeJwt('a.b')).toBeNull();
    expect(decodeJwt('not.a.jwt!')).toBeNull();
    expect(decodeJwt(`${b64('str')}.${b64(claims)}.sig`)).toBeNull();
    expect(decodeJwt(`${b64({ alg: 'RS256' })}.${b64(claims)}.c2ln`)?.payload['sub']).toBe('user-1');
    expect(audiences(['a', 3, 'b'])).toEqual(['a', 'b']);
  });
});
