import { Injectable } from '@nestjs/common';
import { AppConfig, OutboundUrlGuard } from '@ailink/gateway-core';

/** Every call to an identity provider (discovery, JWKS, token, userinfo) gives up after this long. */
export const OIDC_HTTP_TIMEOUT_MS = 5000;
/** Largest discovery or JWKS document read. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/** What openid-client passes to a custom fetch (its body may be a Uint8Array, which `fetch` accepts). */
export interface OidcFetchOptions {
  body?: unknown;
  headers?: Record<string, string>;
  method?: string;
  redirect?: string;
  signal?: AbortSignal | null;
}

/** A failure talking to an identity provider; its message is safe to show (no secrets, no bodies). */
export class OidcHttpError extends Error {}

/**
 * Outbound HTTP to identity providers: the SSRF rules first (cloud metadata always refused; the full
 * rules when `AILINK_BLOCK_PRIVATE_UPSTREAMS` is set, exempting `AILINK_ALLOWED_PRIVATE_HOSTS`), then
 * `fetch` with a timeout and without following redirects. `http:` issuers are accepted outside
 * production only.
 */
@Injectable()
export class OidcHttp {
  constructor(
    private readonly config: AppConfig,
    private readonly guard: OutboundUrlGuard,
  ) {}

  /** Whether this URL may be used for an identity provider at all (scheme rule); a reason when not. */
  schemeProblem(url: URL): string | null {
    if (url.protocol === 'https:') return null;
    if (url.protocol === 'http:' && !this.config.isProduction) return null;
    return this.config.isProduction ? 'must be an https URL in production' : 'must be an http or https URL';
  }

  /** Throws OidcHttpError when the URL's scheme or host is refused. */
  async assertAllowed(url: URL): Promise<void> {
    const scheme = this.schemeProblem(url);
    if (scheme) throw new OidcHttpError(`${url.origin} ${scheme}`);
    const rules = this.config.blockPrivateUpstreams ? 'full' : 'metadata';
    const verdict = await this.guard.check(url, { rules, resolve: rules === 'full' });
    if (!verdict.allowed)
      throw new OidcHttpError(`${verdict.reason ?? 'host not allowed'} (SSRF protection; see AILINK_ALLOWED_PRIVATE_HOSTS)`);
  }

  /** `fetch` for openid-client (`customFetch`): the same checks, its own options otherwise. */
  readonly fetch = async (url: string, options: OidcFetchOptions): Promise<Response> => {
    await this.assertAllowed(new URL(url));
    const init = { ...options, redirect: 'manual', signal: options.signal ?? AbortSignal.timeout(OIDC_HTTP_TIMEOUT_MS) } as RequestInit;
    return fetch(url, init);
  };

  /** GETs a JSON document (discovery, JWKS): 200 with a JSON object, at most 1 MiB, else OidcHttpError. */
  async getJson(url: URL): Promise<Record<string, unknown>> {
    await this.assertAllowed(url);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(OIDC_HTTP_TIMEOUT_MS),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new OidcHttpError(`${url.origin}${url.pathname} is unreachable (${reason})`);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new OidcHttpError(`${url.origin}${url.pathname} answered HTTP ${response.status}`);
    }
    const text = await readLimited(response, MAX_DOCUMENT_BYTES);
    if (text === null) throw new OidcHttpError(`${url.origin}${url.pathname} sent more than ${MAX_DOCUMENT_BYTES} bytes`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new OidcHttpError(`${url.origin}${url.pathname} did not answer JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new OidcHttpError(`${url.origin}${url.pathname} did not answer a JSON object`);
    }
    return parsed as Record<string, unknown>;
  }
}

async function readLimited(response: Response, limit: number): Promise<string | null> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
