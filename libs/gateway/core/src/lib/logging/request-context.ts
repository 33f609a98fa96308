import { AsyncLocalStorage } from 'node:async_hooks';
import { randomHex } from '../util/random-hex';

export interface RequestContext {
  requestId: string;
}

/**
 * Carries a request id through async calls for code that opts in with `run` (the logger mixes it in).
 * The HTTP paths do not use it: on Node 20 an AsyncLocalStorage enables promise hooks for the whole
 * process, which cost the proxy path about a tenth of its throughput; they log `request_id` explicitly.
 */
export const requestContext = new AsyncLocalStorage<RequestContext>();

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

/** `req_{32 lowercase hex}`; a well-formed incoming `x-request-id` is kept for tracing across hops. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming;
  return `req_${randomHex(16)}`;
}
