import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Bearer JWT verification (identity.md §4) with node:crypto: RS256/384/512, PS256/384/512, ES256/384
 * and EdDSA; `none` and HMAC algorithms are refused. Claims: `iss` equal to the issuer, `aud`
 * containing the audience, `exp` required and in the future, `nbf` respected, 60 s leeway, `sub`
 * required (and `nonce` when one is expected).
 */

export const JWT_LEEWAY_SECS = 60;

export type JwtAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'EdDSA';

interface AlgorithmRule {
  kty: 'RSA' | 'EC' | 'OKP';
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  crv?: string[];
  pss?: boolean;
  ecdsa?: boolean;
}

const ALGORITHMS: Readonly<Record<JwtAlgorithm, AlgorithmRule>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: true },
  PS384: { kty: 'RSA', hash: 'sha384', pss: true },
  PS512: { kty: 'RSA', hash: 'sha512', pss: true },
  ES256: { kty: 'EC', hash: 'sha256', crv: ['P-256'], ecdsa: true },
  ES384: { kty: 'EC', hash: 'sha384', crv: ['P-384'], ecdsa: true },
  EdDSA: { kty: 'OKP', hash: null, crv: ['Ed25519', 'Ed448'] },
};

export function isSupportedAlgorithm(alg: unknown): alg is JwtAlgorithm {
  return typeof alg === 'string' && Object.prototype.hasOwnProperty.call(ALGORITHMS, alg);
}

/** Why a JWT was refused (logged at debug; never shown to the caller, who gets one 401). */
export class JwtError extends Error {
  constructor(
    readonly reason:
      | 'malformed'
      | 'algorithm'
      | 'unknown_key'
      | 'signature'
      | 'issuer'
      | 'audience'
      | 'expired'
      | 'not_yet_valid'
      | 'subject'
      | 'nonce',
    message: string,
  ) {
    super(message);
    this.name = 'JwtError';
  }
}

/** A JWT split and decoded, not verified. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Splits a compact JWS (three base64url parts, JSON header and payload); null when it is not one. */
export function decodeJwt(token: string): DecodedJwt | null {
  if (token.length > 16_384) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p)) || parts[0] === '' || parts[1] === '') return null;
  const header = decodeSegment(parts[0]);
  const payload = decodeSegment(parts[1]);
  if (!header || !payload) return null;
  return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
}

/** One key of a JWK set, parsed once. */
export interface VerificationKey {
  kid?: string;
  kty: string;
  alg?: string;
  crv?: string;
  key: KeyObject;
}

/** Parses the signature keys of a JWK set (`use` absent or `sig`; keys that do not parse are skipped). */
export function parseJwks(document: Record<string, unknown>): VerificationKey[] {
  const keys = Array.isArray(document['keys']) ? (document['keys'] as unknown[]) : [];
  const parsed: VerificationKey[] = [];
  for (const jwk of keys) {
    if (typeof jwk !== 'object' || jwk === null) continue;
    const k = jwk as Record<string, unknown>;
    if (k['use'] !== undefined && k['use'] !== 'sig') continue;
    if (typeof k['kty'] !== 'string' || k['d'] !== undefined) continue;
    try {
      const key = createPublicKey({ key: k as import('node:crypto').JsonWebKey, format: 'jwk' });
      parsed.push({
        kid: typeof k['kid'] === 'string' ? k['kid'] : undefined,
        kty: k['kty'] as string,
        alg: typeof k['alg'] === 'string' ? k['alg'] : undefined,
        crv: typeof k['crv'] === 'string' ? k['crv'] : undefined,
        key,
      });
    } catch {
      // an unusable key (unsupported type, bad parameters) is ignored
    }
  }
  return parsed;
}

function fits(key: VerificationKey, alg: JwtAlgorithm): boolean {
  const rule = ALGORITHMS[alg];
  if (key.kty !== rule.kty) return false;
  if (key.alg !== undefined && key.alg !== alg) return false;
  if (rule.crv && key.crv !== undefined && !rule.crv.includes(key.crv)) return false;
  return true;
}

/**
 * The key for this JWT: by `kid` when the token names one (undefined when no key has that kid), else
 * the first signing key that fits the token's algorithm.
 */
export function selectKey(keys: readonly VerificationKey[], header: Record<string, unknown>): VerificationKey | undefined {
  const alg = header['alg'];
  if (!isSupportedAlgorithm(alg)) return undefined;
  const kid = header['kid'];
  if (typeof kid === 'string') return keys.find((k) => k.kid === kid && fits(k, alg));
  return keys.find((k) => fits(k, alg));
}

/** Checks the signature with `key`; throws JwtError. */
export function verifySignature(jwt: DecodedJwt, key: VerificationKey): void {
  const alg = jwt.header['alg'];
  if (!isSupportedAlgorithm(alg)) throw new JwtError('algorithm', `algorithm ${String(alg)} is not accepted`);
  const rule = ALGORITHMS[alg];
  const data = Buffer.from(jwt.signingInput, 'ascii');
  let ok = false;
  try {
    if (rule.kty === 'OKP') ok = verify(null, data, key.key, jwt.signature);
    else if (rule.pss) {
      ok = verify(
        rule.hash,
        data,
        { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
        jwt.signature,
      );
    } else if (rule.ecdsa) ok = verify(rule.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, jwt.signature);
    else ok = verify(rule.hash, data, key.key, jwt.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new JwtError('signature', 'the signature does not verify');
}

export interface ClaimChecks {
  issuer: string;
  audience: string;
  /** Current time in seconds. */
  nowSecs: number;
  leewaySecs?: number;
  nonce?: string;
}

/** The audiences of an `aud` claim (a string or an array of strings). */
export function audiences(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

/** Checks the registered claims; throws JwtError. */
export function verifyClaims(payload: Record<string, unknown>, checks: ClaimChecks): void {
  const leeway = checks.leewaySecs ?? JWT_LEEWAY_SECS;
  if (payload['iss'] !== checks.issuer) throw new JwtError('issuer', 'unexpected issuer');
  if (!audiences(payload['aud']).includes(checks.audience)) throw new JwtError('audience', 'the audience does not include this gateway');
  const exp = payload['exp'];
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new JwtError('expired', 'exp is missing');
  if (checks.nowSecs - leeway >= exp) throw new JwtError('expired', 'the token has expired');
  const nbf = payload['nbf'];
  if (nbf !== undefined && (typeof nbf !== 'number' || checks.nowSecs + leeway < nbf))
    throw new JwtError('not_yet_valid', 'the token is not valid yet');
  const sub = payload['sub'];
  if (typeof sub !== 'string' || sub === '') throw new JwtError('subject', 'sub is missing');
  if (checks.nonce !== undefined && payload['nonce'] !== checks.nonce) throw new JwtError('nonce', 'the nonce does not match');
}
