import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export interface RequestContext {
  requestId: string;
}

/** Carries the request id through async calls so every log line of a request names it. */
export const requestContext = new AsyncLocalStorage<RequestContext>();

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

/** `req_{32 lowercase hex}`; a well-formed incoming `x-request-id` is kept for tracing across hops. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  if (typeof incoming === 'string' && REQUEST_ID.test(incoming)) return incoming;
  return `req_${randomBytes(16).toString('hex')}`;
}
