import { VIRTUAL_TOKEN_PREFIX } from '@ailink/shared-contracts';
import type { ProxyRoute } from '@ailink/gateway-proxy';

/** Where a request carried its virtual token: a header name, or `query:key`. */
export type TokenCarrier = 'authorization' | 'x-api-key' | 'x-goog-api-key' | 'query:key';

export interface PresentedToken {
  value: string;
  carrier: TokenCarrier;
}

/** proxy.md §2: where each route family reads the token, in order. */
const CARRIERS: Readonly<Record<ProxyRoute, readonly TokenCarrier[]>> = {
  catch_all: ['authorization'],
  service: ['authorization'],
  anthropic: ['x-api-key', 'authorization'],
  gemini: ['x-goog-api-key', 'query:key', 'authorization'],
};

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function read(carrier: TokenCarrier, header: (name: string) => string | undefined, query: string): string | undefined {
  if (carrier === 'query:key') {
    if (!query.includes('key=')) return undefined;
    return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query).get('key') ?? undefined;
  }
  const raw = header(carrier)?.trim();
  if (!raw) return undefined;
  if (carrier !== 'authorization') return raw;
  return BEARER.exec(raw)?.[1];
}

/**
 * The virtual token a proxied request presents (proxy.md §2). The carriers of the route family are
 * tried in order; the first holding an `ailink_v1_…` value wins (so a provider key in `x-api-key`
 * next to a bearer virtual token still resolves), else the first present value is returned — and
 * refused by the caller. Null when no carrier holds anything.
 */
export function readPresentedToken(route: ProxyRoute, header: (name: string) => string | undefined, query: string): PresentedToken | null {
  let first: PresentedToken | null = null;
  for (const carrier of CARRIERS[route] ?? CARRIERS.catch_all) {
    const value = read(carrier, header, query);
    if (!value) continue;
    if (value.startsWith(VIRTUAL_TOKEN_PREFIX)) return { value, carrier };
    first ??= { value, carrier };
  }
  return first;
}
