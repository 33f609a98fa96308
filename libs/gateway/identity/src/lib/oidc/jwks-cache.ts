import { Injectable } from '@nestjs/common';
import { parseJwks, selectKey, type DecodedJwt, type VerificationKey } from './jwt';
import { OidcHttp } from './oidc-http';

/** JWK sets are kept an hour (identity.md §4). */
export const JWKS_TTL_MS = 3_600_000;
/** An unknown `kid` refetches the set at most this often per URI (a flood of random kids cannot hammer the IdP). */
export const JWKS_REFETCH_COOLDOWN_MS = 5_000;

interface Entry {
  keys: VerificationKey[];
  fetchedAt: number;
}

/**
 * JWK sets per `jwks_uri`, in process memory: fetched on first use, kept one hour, refetched once when
 * a token names a `kid` the cached set lacks (key rotation at the IdP). Concurrent fetches of one URI
 * share one request.
 */
@Injectable()
export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  /** The clock and cooldown (replaceable in tests). */
  now: () => number = Date.now;
  refetchCooldownMs = JWKS_REFETCH_COOLDOWN_MS;

  constructor(private readonly http: OidcHttp) {}

  /**
   * The key that should verify this JWT, refetching the set once when the token's `kid` is unknown;
   * undefined when none fits. Throws OidcHttpError when the set cannot be fetched.
   */
  async keyFor(jwksUri: string, jwt: DecodedJwt): Promise<VerificationKey | undefined> {
    let entry = this.entries.get(jwksUri);
    if (!entry || this.now() - entry.fetchedAt >= JWKS_TTL_MS) entry = await this.load(jwksUri);
    const key = selectKey(entry.keys, jwt.header);
    if (key || typeof jwt.header['kid'] !== 'string') return key;
    if (this.now() - entry.fetchedAt < this.refetchCooldownMs) return undefined;
    return selectKey((await this.load(jwksUri)).keys, jwt.header);
  }

  /** Drops a cached set. */
  forget(jwksUri: string): void {
    this.entries.delete(jwksUri);
  }

  private load(jwksUri: string): Promise<Entry> {
    const pending = this.inflight.get(jwksUri);
    if (pending) return pending;
    const promise = this.http
      .getJson(new URL(jwksUri))
      .then((document) => {
        const entry: Entry = { keys: parseJwks(document), fetchedAt: this.now() };
        this.entries.set(jwksUri, entry);
        return entry;
      })
      .finally(() => this.inflight.delete(jwksUri));
    this.inflight.set(jwksUri, promise);
    return promise;
  }
}
