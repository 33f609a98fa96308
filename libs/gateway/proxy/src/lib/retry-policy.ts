/** proxy.md §12 defaults. */
export interface RetryConfig {
  max_retries: number;
  base_backoff_ms: number;
  max_backoff_ms: number;
  jitter_ms: number;
  status_codes: number[];
}

export const DEFAULT_RETRY: RetryConfig = {
  max_retries: 3,
  base_backoff_ms: 500,
  max_backoff_ms: 10_000,
  jitter_ms: 200,
  status_codes: [429, 500, 502, 503, 504],
};

const INFERENCE_PATH = /(\/chat\/completions|\/completions|\/embeddings|\/messages|:generateContent)$/;

/**
 * Whether the default retry policy applies: idempotent methods; POST to inference paths (the
 * providers' SDKs retry them too); other writes only with an idempotency key.
 */
export function defaultRetryApplies(method: string, path: string, headers: Record<string, string | string[] | undefined>): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'DELETE') return true;
  if (method === 'POST' && INFERENCE_PATH.test(path)) return true;
  return headers['idempotency-key'] !== undefined || headers['x-idempotency-key'] !== undefined;
}

/** Delay before retry `n` (1-based): the upstream's numeric Retry-After, else exponential backoff + jitter. */
export function backoffMs(config: RetryConfig, n: number, retryAfter: string | undefined, random: () => number = Math.random): number {
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) return Math.min(Number(retryAfter) * 1000, config.max_backoff_ms);
  return Math.min(config.base_backoff_ms * 2 ** (n - 1), config.max_backoff_ms) + Math.floor(random() * (config.jitter_ms + 1));
}
