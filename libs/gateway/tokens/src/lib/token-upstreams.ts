import type { ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { UpstreamTarget } from '@ailink/gateway-proxy';
import type { StoredUpstream } from './entities/token.entity';

export const DEFAULT_UPSTREAM_WEIGHT = 100;
export const DEFAULT_UPSTREAM_PRIORITY = 1;
/** `fallback_url` is shorthand for an extra target at this priority (proxy.md §11). */
export const FALLBACK_PRIORITY = 2;

/** An upstream as the API receives it. */
export interface UpstreamInput {
  url: string;
  weight?: number | null;
  priority?: number | null;
  credential_id?: string | null;
}

/** Parses an http(s) URL; null when unparseable or another scheme. */
export function parseHttpUrl(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
}

/** 400 `bad_request` unless every given URL is http(s) (management-api.md: "http/https else 400"). */
export function assertHttpUrls(urls: readonly { path: string; value: string | null | undefined }[]): void {
  const problems: ValidationProblem[] = [];
  for (const { path, value } of urls) {
    if (value !== undefined && value !== null && !parseHttpUrl(value)) problems.push({ path, message: 'must be an http or https URL' });
  }
  if (problems.length > 0) {
    throw new GatewayError(ErrorCode.BadRequest, problems.map((p) => `${p.path} ${p.message}`).join('; '), {
      details: { errors: problems },
    });
  }
}

/** URL identity for the uniqueness rule: parsed, lower-case scheme/host, no trailing slash. */
export function normalizeUpstreamUrl(value: string): string {
  const url = parseHttpUrl(value);
  return (url ? url.href : value.trim()).replace(/\/+$/, '');
}

/**
 * Builds the stored upstream list (defaults applied) from `upstreams` and the `fallback_url`
 * shorthand. With a fallback but no explicit upstreams, `upstream_url` becomes the priority-1
 * target so that the fallback does not replace it. Reports weight ≤ 0, bad priorities and
 * duplicate URLs as problems (422).
 */
export function buildUpstreams(
  upstreamUrl: string,
  upstreams: readonly UpstreamInput[] | null | undefined,
  fallbackUrl: string | null | undefined,
): { upstreams: StoredUpstream[]; problems: ValidationProblem[] } {
  const problems: ValidationProblem[] = [];
  const out: StoredUpstream[] = [];
  const seen = new Map<string, string>();
  const add = (input: UpstreamInput, path: string, urlPath: string) => {
    const weight = input.weight ?? DEFAULT_UPSTREAM_WEIGHT;
    const priority = input.priority ?? DEFAULT_UPSTREAM_PRIORITY;
    if (!(Number.isFinite(weight) && weight > 0)) problems.push({ path: `${path}.weight`, message: 'must be greater than 0' });
    if (!(Number.isSafeInteger(priority) && priority >= 0)) problems.push({ path: `${path}.priority`, message: 'must be an integer ≥ 0' });
    const key = normalizeUpstreamUrl(input.url);
    const first = seen.get(key);
    if (first !== undefined) problems.push({ path: urlPath, message: `duplicates the upstream URL at ${first}` });
    else seen.set(key, urlPath);
    const stored: StoredUpstream = { url: input.url.trim(), weight, priority };
    if (input.credential_id) stored.credential_id = input.credential_id;
    out.push(stored);
  };
  (upstreams ?? []).forEach((u, i) => add(u, `$.upstreams[${i}]`, `$.upstreams[${i}].url`));
  if (fallbackUrl) {
    if (out.length === 0) add({ url: upstreamUrl }, '$.upstream_url', '$.upstream_url');
    add({ url: fallbackUrl, weight: DEFAULT_UPSTREAM_WEIGHT, priority: FALLBACK_PRIORITY }, '$.fallback_url', '$.fallback_url');
  }
  return { upstreams: out, problems };
}

/** The proxy's targets: the stored upstreams, or `upstream_url` alone when there are none. */
export function toUpstreamTargets(upstreamUrl: string, upstreams: readonly StoredUpstream[] | null | undefined): UpstreamTarget[] {
  if (!upstreams || upstreams.length === 0) {
    return [{ url: upstreamUrl, weight: DEFAULT_UPSTREAM_WEIGHT, priority: DEFAULT_UPSTREAM_PRIORITY }];
  }
  return upstreams.map((u) => {
    const target: UpstreamTarget = {
      url: u.url,
      weight: u.weight ?? DEFAULT_UPSTREAM_WEIGHT,
      priority: u.priority ?? DEFAULT_UPSTREAM_PRIORITY,
    };
    if (u.credential_id) target.credentialId = u.credential_id;
    return target;
  });
}
