import { Injectable } from '@nestjs/common';
import { OidcHttp, OidcHttpError } from './oidc-http';

/** Discovery documents are kept this long (the JWKS rule of identity.md §4 applied to discovery too). */
export const DISCOVERY_TTL_MS = 3_600_000;
/** A failed discovery is not retried for this long (one slow IdP cannot be hammered by every request). */
const FAILURE_TTL_MS = 10_000;

/** The parts of an OpenID Provider's metadata the gateway uses. */
export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  /** The whole document, for openid-client's `Configuration`. */
  raw: Record<string, unknown>;
}

/** `{issuer_url}/.well-known/openid-configuration` (a trailing slash of the issuer is not doubled). */
export function discoveryUrl(issuerUrl: string): URL {
  return new URL(`${issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}

/** Validates a discovery document for an issuer: `issuer` must equal it, `jwks_uri` must be a URL. */
export function parseDiscovery(issuerUrl: string, raw: Record<string, unknown>): DiscoveryDocument {
  const issuer = raw['issuer'];
  if (typeof issuer !== 'string' || issuer !== issuerUrl) {
    throw new OidcHttpError(`the discovery document names the issuer ${JSON.stringify(issuer)}, not ${issuerUrl}`);
  }
  const jwksUri = raw['jwks_uri'];
  if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) throw new OidcHttpError('the discovery document has no valid jwks_uri');
  const optional = (key: string): string | undefined => (typeof raw[key] === 'string' ? (raw[key] as string) : undefined);
  return {
    issuer,
    jwks_uri: jwksUri,
    authorization_endpoint: optional('authorization_endpoint'),
    token_endpoint: optional('token_endpoint'),
    userinfo_endpoint: optional('userinfo_endpoint'),
    raw,
  };
}

interface Entry {
  at: number;
  value?: DiscoveryDocument;
  error?: OidcHttpError;
  pending?: Promise<DiscoveryDocument>;
}

/** Discovery documents per issuer, fetched on demand and kept in process memory for an hour. */
@Injectable()
export class OidcDiscovery {
  private readonly entries = new Map<string, Entry>();
  /** The clock (replaceable in tests). */
  now: () => number = Date.now;

  constructor(private readonly http: OidcHttp) {}

  /** The issuer's document (cached); throws OidcHttpError when it cannot be fetched or is invalid. */
  async get(issuerUrl: string): Promise<DiscoveryDocument> {
    const entry = this.entries.get(issuerUrl);
    const now = this.now();
    if (entry?.pending) return entry.pending;
    if (entry?.value && now - entry.at < DISCOVERY_TTL_MS) return entry.value;
    if (entry?.error && now - entry.at < FAILURE_TTL_MS) throw entry.error;
    return this.fetch(issuerUrl);
  }

  /** Fetches now, bypassing the cache (the test-connection route and provider writes). */
  fetch(issuerUrl: string): Promise<DiscoveryDocument> {
    const pending = this.http.getJson(discoveryUrl(issuerUrl)).then((raw) => parseDiscovery(issuerUrl, raw));
    const entry: Entry = { at: this.now(), pending };
    this.entries.set(issuerUrl, entry);
    pending.then(
      (value) => {
        if (this.entries.get(issuerUrl) === entry) this.entries.set(issuerUrl, { at: this.now(), value });
      },
      (error: unknown) => {
        const failure = error instanceof OidcHttpError ? error : new OidcHttpError(String(error));
        if (this.entries.get(issuerUrl) === entry) this.entries.set(issuerUrl, { at: this.now(), error: failure });
      },
    );
    return pending.catch((error: unknown) => {
      throw error instanceof OidcHttpError ? error : new OidcHttpError(String(error));
    });
  }

  /** Drops a cached document (after a provider changed). */
  forget(issuerUrl: string): void {
    this.entries.delete(issuerUrl);
  }
}
