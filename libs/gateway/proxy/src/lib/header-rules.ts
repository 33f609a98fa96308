import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 hop-by-hop headers (plus the legacy ones proxies must not forward). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request headers consumed or replaced by the gateway (proxy.md §4). */
const DROPPED_REQUEST = new Set([
  'authorization',
  'x-admin-key',
  'cookie',
  'x-real-authorization',
  'x-upstream-authorization',
  'x-mcp-servers',
  'x-session-id',
  'x-parent-span-id',
  'x-properties',
  'host',
  'content-length',
  'accept-encoding',
  'x-request-id',
]);

/** Upstream response headers never copied to the client (proxy.md §5). */
const DROPPED_RESPONSE = new Set([
  'server',
  'x-powered-by',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'x-request-id',
  'date',
]);

const NONE: ReadonlySet<string> = new Set();

function connectionListed(raw: string | string[] | undefined): ReadonlySet<string> {
  if (raw === undefined || raw === 'keep-alive' || raw === 'close') return NONE;
  const out = new Set<string>();
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  for (const v of values) for (const name of v.split(',')) if (name.trim()) out.add(name.trim().toLowerCase());
  return out;
}

/**
 * The end-to-end request headers to forward: everything the client sent except hop-by-hop headers,
 * gateway control headers (`x-ailink-*`), secrets and the header that carried the virtual token.
 */
export function forwardableRequestHeaders(headers: IncomingHttpHeaders, tokenCarrier?: string): Record<string, string> {
  const listed = connectionListed(headers['connection']);
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (HOP_BY_HOP.has(name) || DROPPED_REQUEST.has(name) || listed.has(name) || name.startsWith('x-ailink-')) continue;
    if (name === tokenCarrier) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Upstream response headers to copy to the client; the upstream's request id becomes `x-upstream-request-id`. */
export function forwardableResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const listed = connectionListed(headers['connection']);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || DROPPED_RESPONSE.has(lower) || listed.has(lower)) {
      if (lower === 'x-request-id') out['x-upstream-request-id'] = value;
      continue;
    }
    out[lower] = value;
  }
  return out;
}
