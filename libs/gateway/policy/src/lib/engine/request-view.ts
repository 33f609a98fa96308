/**
 * What a policy condition can read of a request (policies.md §4). The engine is pure: the proxy
 * stage builds a view from its ProxyContext; tests build one by hand. Implementations may compute
 * parts lazily; the engine calls each accessor at most a few times per evaluation.
 */
export interface PolicyRequestView {
  method: string;
  /** Path as received, without the query string. */
  path: string;
  /** Request body size in bytes. */
  bodySize: number;
  /** The parsed JSON body as it arrived (alias-resolved), or undefined. */
  body: unknown;
  /** Header value by lower-case name (several values joined with ", "). */
  header(name: string): string | undefined;
  /** First value of a query parameter. */
  query(name: string): string | undefined;
  /** The alias the client sent, when one was resolved. */
  modelAlias?: string | null;
  /** `X-AILink-Agent-Name`, else `User-Agent`. */
  agentName?: string | null;
  token?: PolicyTokenView | null;
  /** Client IP (proxy.md §3). */
  clientIp?: string | null;
  /** Evaluation time (`context.time.*`, UTC). */
  now: Date;
  /** Token usage; only read when an attached policy references `usage.*`. */
  usage?: PolicyUsageView | null;
  /** Post phase only: the translated upstream response. */
  response?: PolicyResponseView | null;
}

export interface PolicyTokenView {
  id: string;
  name: string;
  projectId: string;
  teamId: string | null;
  /** Team tags merged with token tags (token wins). */
  tags: Record<string, string>;
}

export interface PolicyUsageView {
  spendTodayUsd?: number | null;
  spendMonthUsd?: number | null;
  /** Including this request. */
  requestsToday?: number | null;
  /** Including this request. */
  requestsThisHour?: number | null;
}

export interface PolicyResponseView {
  status: number;
  body: unknown;
  header(name: string): string | undefined;
}

/** Header lookup over Node's incoming headers (lower-case keys). */
export function headerReader(headers: Record<string, string | string[] | undefined>): (name: string) => string | undefined {
  return (name) => {
    const value = headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
}

/** First-value query lookup over a raw query string (`?a=1&b=2` or `a=1`), parsed on first use. */
export function queryReader(rawQuery: string): (name: string) => string | undefined {
  let params: URLSearchParams | undefined;
  return (name) => {
    params ??= new URLSearchParams(rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery);
    return params.get(name) ?? undefined;
  };
}
