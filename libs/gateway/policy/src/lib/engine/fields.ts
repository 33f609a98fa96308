import type { PolicyPhase } from '@ailink/shared-contracts';
import type { PolicyRequestView } from './request-view';

/** One step of a body path: a key, an index `[n]`, or `[*]` (every element). */
export type PathSegment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

/** The result of reading a field: `found: false` when it does not resolve (missing or null). */
export interface FieldValue {
  found: boolean;
  value?: unknown;
}

export const NOT_FOUND: FieldValue = Object.freeze({ found: false });

/** A compiled field reader. */
export type FieldReader = (view: PolicyRequestView) => FieldValue;

/** A parsed field of the §4 grammar. */
export interface ParsedField {
  read: FieldReader;
  /** `post` for `response.*` fields. */
  phase: PolicyPhase | 'both';
  /** Reads `usage.*` (the stage then loads the usage counters). */
  usesUsage: boolean;
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** RFC 7230 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function found(value: unknown): FieldValue {
  return value === undefined || value === null ? NOT_FOUND : { found: true, value };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a dotted path with `[n]` and `[*]` (policies.md §4: `messages[*].content`,
 * `tools[0].function.name`). Keys are runs of characters other than `.`, `[` and `]`.
 * Returns null when the path is malformed.
 */
export function parsePath(path: string): PathSegment[] | null {
  if (path.length === 0) return null;
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    let key = '';
    while (i < path.length && path[i] !== '.' && path[i] !== '[' && path[i] !== ']') key += path[i++];
    if (key === '') return null;
    segments.push({ kind: 'key', key });
    while (path[i] === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) return null;
      const inner = path.slice(i + 1, close);
      if (inner === '*') segments.push({ kind: 'all' });
      else if (/^\d{1,9}$/.test(inner)) segments.push({ kind: 'index', index: Number(inner) });
      else return null;
      i = close + 1;
    }
    if (i < path.length) {
      if (path[i] !== '.') return null;
      i++;
      if (i === path.length) return null;
    }
  }
  return segments;
}

/**
 * Reads a path in a JSON value. Without `[*]` the result is the value at the path; with `[*]` it
 * is the array of every value found (resolving only when at least one was found).
 */
export function resolvePath(root: unknown, segments: readonly PathSegment[]): FieldValue {
  let wildcard = false;
  let current: unknown[] = [root];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (segment.kind === 'key') {
        if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, segment.key)) {
          const child = value[segment.key];
          if (child !== undefined && child !== null) next.push(child);
        }
      } else if (segment.kind === 'index') {
        if (Array.isArray(value) && segment.index < value.length) {
          const child: unknown = value[segment.index];
          if (child !== undefined && child !== null) next.push(child);
        }
      } else if (Array.isArray(value)) {
        for (const child of value as unknown[]) if (child !== undefined && child !== null) next.push(child);
      }
    }
    if (segment.kind === 'all') wildcard = true;
    current = next;
    if (current.length === 0) return NOT_FOUND;
  }
  return wildcard ? { found: true, value: current } : found(current[0]);
}

function utcParts(now: Date): { hour: number; weekday: string; date: string } {
  return {
    hour: now.getUTCHours(),
    weekday: WEEKDAYS[now.getUTCDay()] ?? 'sun',
    date: now.toISOString().slice(0, 10),
  };
}

const SCALAR_FIELDS: Readonly<Record<string, { read: FieldReader; phase?: 'post'; usage?: true }>> = {
  'request.method': { read: (v) => found(v.method) },
  'request.path': { read: (v) => found(v.path) },
  'request.body_size': { read: (v) => found(v.bodySize) },
  'request.body': { read: (v) => found(v.body) },
  'request.model_alias': { read: (v) => found(v.modelAlias) },
  'response.status': { read: (v) => found(v.response?.status), phase: 'post' },
  'agent.name': { read: (v) => found(v.agentName) },
  'token.id': { read: (v) => found(v.token?.id) },
  'token.name': { read: (v) => found(v.token?.name) },
  'token.project_id': { read: (v) => found(v.token?.projectId) },
  'token.team_id': { read: (v) => found(v.token?.teamId) },
  'context.ip': { read: (v) => found(v.clientIp) },
  'context.time.hour': { read: (v) => found(utcParts(v.now).hour) },
  'context.time.weekday': { read: (v) => found(utcParts(v.now).weekday) },
  'context.time.date': { read: (v) => found(utcParts(v.now).date) },
  'usage.spend_today_usd': { read: (v) => found(v.usage?.spendTodayUsd), usage: true },
  'usage.spend_month_usd': { read: (v) => found(v.usage?.spendMonthUsd), usage: true },
  'usage.requests_today': { read: (v) => found(v.usage?.requestsToday), usage: true },
  'usage.requests_this_hour': { read: (v) => found(v.usage?.requestsThisHour), usage: true },
};

/** Every field form of policies.md §4, for messages and documentation. */
export const FIELD_GRAMMAR = [
  ...Object.keys(SCALAR_FIELDS),
  'request.body.<path>',
  'request.headers.<name>',
  'request.query.<name>',
  'response.body.<path>',
  'response.headers.<name>',
  'token.tags.<key>',
];

function bodyField(rest: string, read: (v: PolicyRequestView) => unknown, phase: PolicyPhase | 'both'): ParsedField | string {
  const segments = parsePath(rest);
  if (!segments) return `malformed body path '${rest}': use dots for keys, [n] for an index and [*] for every element`;
  return { read: (v) => resolvePath(read(v), segments), phase, usesUsage: false };
}

function headerField(
  rest: string,
  read: (v: PolicyRequestView, name: string) => string | undefined,
  phase: PolicyPhase | 'both',
): ParsedField | string {
  if (!HEADER_NAME.test(rest)) return `invalid header name '${rest}'`;
  const name = rest.toLowerCase();
  return { read: (v) => found(read(v, name)), phase, usesUsage: false };
}

/**
 * Parses a condition field (policies.md §4). Returns the compiled reader, or a message saying why
 * the field is outside the grammar.
 */
export function parseField(field: string): ParsedField | string {
  const scalar = SCALAR_FIELDS[field];
  if (scalar) return { read: scalar.read, phase: scalar.phase ?? 'both', usesUsage: scalar.usage === true };
  if (field.startsWith('request.body.')) return bodyField(field.slice('request.body.'.length), (v) => v.body, 'both');
  if (field.startsWith('response.body.')) return bodyField(field.slice('response.body.'.length), (v) => v.response?.body, 'post');
  if (field.startsWith('request.headers.')) return headerField(field.slice('request.headers.'.length), (v, n) => v.header(n), 'both');
  if (field.startsWith('response.headers.')) {
    return headerField(field.slice('response.headers.'.length), (v, n) => v.response?.header(n), 'post');
  }
  if (field.startsWith('request.query.')) {
    const name = field.slice('request.query.'.length);
    if (!name) return 'missing query parameter name';
    return { read: (v) => found(v.query(name)), phase: 'both', usesUsage: false };
  }
  if (field.startsWith('token.tags.')) {
    const key = field.slice('token.tags.'.length);
    if (!key) return 'missing tag key';
    return {
      read: (v) => {
        const tags = v.token?.tags;
        return tags && Object.prototype.hasOwnProperty.call(tags, key) ? found(tags[key]) : NOT_FOUND;
      },
      phase: 'both',
      usesUsage: false,
    };
  }
  return `unknown field '${field}'`;
}

/** What a `conditional_route` branch condition reads (proxy.md §11). */
export interface BranchView {
  body: unknown;
  header(name: string): string | undefined;
  /** `X-AILink-Metadata` parsed as a JSON object. */
  metadata: Record<string, unknown> | null;
}

/** Parses a branch field (`body.<path>`, `header.<name>`, `metadata.<key>`); a message when invalid. */
export function parseBranchField(field: string): ((view: BranchView) => FieldValue) | string {
  if (field.startsWith('body.')) {
    const segments = parsePath(field.slice('body.'.length));
    if (!segments) return `malformed body path '${field.slice('body.'.length)}'`;
    return (v) => resolvePath(v.body, segments);
  }
  if (field.startsWith('header.')) {
    const name = field.slice('header.'.length);
    if (!HEADER_NAME.test(name)) return `invalid header name '${name}'`;
    const lower = name.toLowerCase();
    return (v) => found(v.header(lower));
  }
  if (field.startsWith('metadata.')) {
    const key = field.slice('metadata.'.length);
    if (!key) return 'missing metadata key';
    return (v) => (v.metadata && Object.prototype.hasOwnProperty.call(v.metadata, key) ? found(v.metadata[key]) : NOT_FOUND);
  }
  return `unknown branch field '${field}': use body.<path>, header.<name> or metadata.<key>`;
}
