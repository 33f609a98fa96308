import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayError } from '@ailink/gateway-core';

/** Which proxy route family matched (spec README: route families 5, 6 and 8). */
export type ProxyRoute = 'catch_all' | 'service' | 'anthropic' | 'gemini';

/** How a credential reaches the upstream (vault-and-spend.md §2). */
export type InjectionMode = 'bearer' | 'basic' | 'header' | 'query' | 'sigv4';

/** Circuit-breaker settings of a token (proxy.md §13), defaults applied. */
export interface CircuitBreakerConfig {
  enabled: boolean;
  failure_threshold: number;
  recovery_cooldown_secs: number;
  half_open_max_requests: number;
  failure_rate_threshold?: number;
  min_sample_size: number;
}

export interface UpstreamTarget {
  url: string;
  weight: number;
  priority: number;
  /** Overrides the token credential for this target; `null` = passthrough. */
  credentialId?: string | null;
}

/**
 * What the proxy needs of a token, resolved from the cache tiers (never the secret). Produced by
 * the tokens feature's resolve stage; `id` is the public id `tok_…`.
 */
export interface ProxyToken {
  id: string;
  projectId: string;
  name: string;
  credentialId: string | null;
  upstreams: UpstreamTarget[];
  policyIds: string[];
  logLevel: 0 | 1 | 2;
  circuitBreaker: CircuitBreakerConfig;
  tags: Record<string, string>;
  teamId: string | null;
  /** Model globs the token may call (identity.md §7); null/absent = unrestricted, `[]` = none. */
  allowedModels?: string[] | null;
  /** Model access groups whose `models` join `allowedModels` in one allow list. */
  allowedModelGroupIds?: string[];
}

/** A credential ready to inject: decrypted per request, never cached or logged. */
export interface InjectableCredential {
  id: string;
  mode: InjectionMode;
  /** Header name (or query parameter name for `query`). */
  header: string;
  /** The secret; callers must not retain it beyond writing it into the upstream request. */
  secret: Buffer;
}

/** Usage reported by an upstream (OpenAI-normalised). */
export interface UsageInfo {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cached_tokens?: number;
}

/** A response a stage answers itself instead of forwarding (e.g. 202 for an `async` approval); the body is JSON. */
export interface ProxyAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The human approval a request required (approvals feature), for the response headers and the audit record. */
export interface ProxyApproval {
  id: string;
  /** `approved`, `rejected`, `timeout` (fallback deny), `timeout_allowed` (fallback allow); null while pending (202). */
  decision: import('@ailink/shared-contracts').AuditHitlDecision | null;
  /** How long the request was held for the decision (wait mode), ms; null when it was not held. */
  latencyMs: number | null;
}

/**
 * The per-request state of a proxied request: one object, created by the proxy route handler and
 * passed through every stage. No request-scoped providers exist; stages read and write here.
 */
export class ProxyContext {
  /** `process.hrtime.bigint()` at receipt. */
  readonly startedAt = process.hrtime.bigint();
  route: ProxyRoute = 'catch_all';
  /** For the service route: the service name and the rest of the path (with leading `/`). */
  serviceName?: string;
  /** Path sent upstream (after the route prefix is removed), without the query string. */
  upstreamPath: string;
  /** Raw query string as received, including the leading `?`, or ''. */
  query: string;
  /** The client's request body as received (undefined for bodiless requests). */
  body?: Buffer;
  /** Parsed JSON body when the request is JSON; stages may replace it (then `bodyChanged = true`). */
  json?: unknown;
  bodyChanged = false;
  /** `body.stream === true` on a JSON request. */
  streaming = false;

  /** Set by the token stage. */
  token?: ProxyToken;
  /** The virtual token's carrier, removed before forwarding: a header name, or `query:key`. */
  tokenCarrier?: string;

  /** Set by target selection (service route, token upstreams). Base URL without trailing slash. */
  targetBaseUrl?: string;
  /** Set by the service stage for the service route: its base URL and credential (`null` = passthrough). */
  serviceBaseUrl?: string;
  serviceCredentialId?: string | null;
  /** Retry settings from the first policy with a `retry` block (policies issue); default rules otherwise. */
  retry?: import('./retry-policy').RetryConfig;
  /**
   * Pre-phase policy evaluation (policies issue): fired actions in execution order (with their
   * status; later stages execute the `deferred` ones they own), shadow violations, policy tags.
   */
  policy?: import('@ailink/shared-contracts').PolicyOutcome;
  /** Post-phase policy evaluation on the upstream response (policies issue), like `policy`. */
  postPolicy?: import('@ailink/shared-contracts').PolicyOutcome;
  /**
   * A policy routing decision (`split`, `dynamic_route`, `conditional_route`): `url` replaces the
   * token's upstreams as the only target (breaker-checked like any target); `credentialId`
   * replaces the credential of whatever target is selected (`null` = passthrough).
   */
  targetOverride?: { url?: string; credentialId?: string | null };
  /** Upstream request headers a policy transform removed (lower-case): absent upstream, no default added. */
  removedUpstreamHeaders?: Set<string>;
  /** Audit facts the policy actions produce: what redaction replaced, routing, the A/B experiment, async findings. */
  fieldsRedacted?: string[];
  routerInfo?: import('@ailink/shared-contracts').AuditRouterInfo;
  experimentName?: string;
  variantName?: string;
  asyncFindings?: import('@ailink/shared-contracts').AsyncFinding[];
  /** The gateway added `stream_options.include_usage`, so the usage-only chunk is withheld from the client. */
  injectedUsage?: boolean;
  /** The upstream stream broke after bytes were relayed. */
  streamFailed?: boolean;
  /** Settles when a relayed stream has ended (completion hooks wait for it). */
  streamDone?: Promise<void>;
  /** Credential id to inject for the selected target; `null` = passthrough; undefined = not decided. */
  credentialId?: string | null;
  /** Set by the credential stage just before forwarding; zeroed after the headers are written. */
  credential?: InjectableCredential;
  /** Headers the stages add or override on the upstream request (lower-case names). */
  readonly upstreamHeaders: Record<string, string> = {};
  /** Query parameters stages append (e.g. `query` credential injection). */
  readonly upstreamQuery: [string, string][] = [];

  // Outcome, filled by the forwarder.
  upstreamUrl?: string;
  upstreamStatus?: number;
  upstreamMs = 0;
  ttfbMs?: number;
  attempts = 0;
  cbState?: 'closed' | 'open' | 'half_open' | 'disabled';
  usage?: UsageInfo;
  model?: string;
  finishReason?: string;
  /** Response body kept for audit when the log level asks for it (bounded). */
  responseBody?: Buffer;
  responseHeaders?: Record<string, string>;
  /** Characters of assistant content relayed on a stream (for cost when the stream reported no usage). */
  relayedChars?: number;
  /** Headers stages add to the client response, error responses included (e.g. `x-ailink-budget-remaining-*`). */
  readonly clientHeaders: Record<string, string> = {};
  /** Cost of the request in USD, set by the spend settlement before audit (null/undefined: not computed). */
  costUsd?: number;
  /** No price matched the request's model (the cost is 0). */
  pricingMissing?: boolean;
  /** The error answered to the client, if any. */
  error?: GatewayError;
  /** Status answered to the client. */
  status?: number;
  warnings: string[] = [];
  /** Deliberate waits (throttle delays, approval holds, backoff sleeps) in ms: not gateway overhead (proxy.md §16). */
  deliberateWaitMs = 0;
  /** Set by a stage that answers the request itself: the remaining stages are skipped and nothing is forwarded. */
  answer?: ProxyAnswer;
  /** Set when a human approval was required (approvals feature). */
  approval?: ProxyApproval;
  /** Aborted when the client goes away before its response is complete (a stage holding the request stops waiting). */
  readonly clientGone = new AbortController();

  constructor(
    readonly requestId: string,
    readonly method: string,
    /** Path as received (without query). */
    readonly path: string,
    readonly headers: IncomingHttpHeaders,
    /** Socket peer address; the client-ip stage replaces it with `context.ip` (trusted proxies, proxy.md §3). */
    public clientIp: string,
    rawUrl: string,
  ) {
    const q = rawUrl.indexOf('?');
    this.query = q >= 0 ? rawUrl.slice(q) : '';
    this.upstreamPath = path;
  }

  /** First value of a request header (lower-case name). */
  header(name: string): string | undefined {
    const v = this.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  /** Milliseconds since receipt. */
  elapsedMs(): number {
    return Number(process.hrtime.bigint() - this.startedAt) / 1e6;
  }
}
