import {
  POLICY_ACTION_TYPES,
  ROUTE_BRANCH_OPERATORS,
  type PolicyAction,
  type PolicyActionType,
  type PolicyPhase,
  type RouteBranchOperator,
  type RouteTarget,
  type TransformOperation,
} from '@ailink/shared-contracts';
import { Checker, isObject, typeName, type JsonObject } from './checker';
import { checkOperatorValue } from './conditions';
import { parseBranchField, parsePath } from './fields';
import { childPath, indexPath } from './json-path';
import { SchemaError, compileJsonSchema } from './json-schema';
import { RegexError, compileRegex, globMatcher } from './regex';

/** Actions whose implementation has not landed yet: refused at write time (422). */
export const UNAVAILABLE_ACTIONS: ReadonlySet<PolicyActionType> = new Set(['content_filter', 'external_guardrail', 'webhook']);

/** Phases each action may run in (policies.md §6, column Ph). */
export const ACTION_PHASES: Readonly<Record<PolicyActionType, readonly PolicyPhase[]>> = {
  allow: ['pre', 'post'],
  deny: ['pre', 'post'],
  rate_limit: ['pre'],
  throttle: ['pre'],
  require_approval: ['pre'],
  redact: ['pre', 'post'],
  content_filter: ['pre', 'post'],
  external_guardrail: ['pre', 'post'],
  tool_scope: ['pre'],
  validate_schema: ['post'],
  transform: ['pre', 'post'],
  override: ['pre'],
  log: ['pre', 'post'],
  tag: ['pre', 'post'],
  webhook: ['pre', 'post'],
  split: ['pre'],
  dynamic_route: ['pre'],
  conditional_route: ['pre'],
};

/** Actions an `async_check` rule may hold (policies.md §9); the others block or mutate (§11 item 5). */
export const ASYNC_ACTIONS: ReadonlySet<PolicyActionType> = new Set([
  'content_filter',
  'validate_schema',
  'external_guardrail',
  'redact',
  'webhook',
  'log',
  'tag',
]);

/** PII types of guardrails.md §4, usable by name in `redact.patterns`. */
export const PII_TYPES = [
  'email',
  'ssn',
  'credit_card',
  'api_key',
  'phone',
  'iban',
  'dob',
  'ipv4',
  'passport',
  'aws_key',
  'drivers_license',
  'mrn',
] as const;

/** Headers a transform may not set (policies.md §7). */
export const PROTECTED_HEADERS = ['authorization', 'host', 'cookie', 'set-cookie', 'x-admin-key'] as const;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_SECS = 86_400;

/** A URL the service must SSRF-check at write time. */
export interface OutboundUrlRef {
  path: string;
  url: string;
  /** `full`: notification targets; `upstream`: operator-configured upstreams (token rules). */
  rules: 'full' | 'upstream';
}

/** Collected while checking actions: references the service verifies against the database / network. */
export interface ActionRefs {
  urls: OutboundUrlRef[];
  credentialIds: { path: string; id: string }[];
}

interface ActionContext {
  checker: Checker;
  phase: PolicyPhase;
  refs: ActionRefs;
}

type Params = JsonObject;

/** Reads one optional parameter: undefined when absent, the checked value, or undefined after a problem. */
function opt<T>(params: Params, key: string, path: string, check: (value: unknown, path: string) => T | undefined): T | undefined {
  return key in params ? check(params[key], childPath(path, key)) : undefined;
}

function req<T>(
  ctx: ActionContext,
  params: Params,
  key: string,
  path: string,
  check: (value: unknown, path: string) => T | undefined,
): T | undefined {
  if (!(key in params)) {
    ctx.checker.add(childPath(path, key), `missing required parameter '${key}'`);
    return undefined;
  }
  return check(params[key], childPath(path, key));
}

function checkHeaderName(ctx: ActionContext, value: unknown, path: string): string | undefined {
  const name = ctx.checker.string(value, path, { min: 1 });
  if (name === undefined) return undefined;
  if (!HEADER_NAME.test(name)) {
    ctx.checker.add(path, `invalid header name '${name}'`);
    return undefined;
  }
  return name;
}

function checkRegexParam(ctx: ActionContext, value: unknown, path: string): string | undefined {
  const pattern = ctx.checker.string(value, path, { min: 1 });
  if (pattern === undefined) return undefined;
  try {
    compileRegex(pattern);
  } catch (error) {
    ctx.checker.add(path, error instanceof RegexError ? error.message : String(error));
    return undefined;
  }
  return pattern;
}

function checkGlobList(ctx: ActionContext, value: unknown, path: string): string[] | undefined {
  const items = ctx.checker.stringArray(value, path);
  if (!items) return undefined;
  items.forEach((glob, i) => {
    try {
      globMatcher(glob);
    } catch (error) {
      ctx.checker.add(indexPath(path, i), error instanceof RegexError ? `glob does not compile: ${error.message}` : String(error));
    }
  });
  return items;
}

function checkCredentialId(ctx: ActionContext, value: unknown, path: string): string | undefined {
  const id = ctx.checker.string(value, path, { min: 1 });
  if (id === undefined) return undefined;
  if (!UUID.test(id)) {
    ctx.checker.add(path, 'must be a credential UUID');
    return undefined;
  }
  ctx.refs.credentialIds.push({ path, id: id.toLowerCase() });
  return id.toLowerCase();
}

function checkUpstreamUrl(ctx: ActionContext, value: unknown, path: string): string | undefined {
  const url = ctx.checker.httpUrl(value, path);
  if (url !== undefined) ctx.refs.urls.push({ path, url, rules: 'upstream' });
  return url;
}

/** A routing target (proxy.md §11): `{model?, upstream_url?, credential_id?}` with at least one key. */
function checkTarget(ctx: ActionContext, value: unknown, path: string): RouteTarget | undefined {
  const obj = ctx.checker.object(value, path);
  if (!obj) return undefined;
  ctx.checker.unknownKeys(obj, path, ['model', 'upstream_url', 'credential_id'], 'target key');
  const target: RouteTarget = {};
  const model = opt(obj, 'model', path, (v, p) => ctx.checker.string(v, p, { min: 1 }));
  if (model !== undefined) target.model = model;
  const url = opt(obj, 'upstream_url', path, (v, p) => checkUpstreamUrl(ctx, v, p));
  if (url !== undefined) target.upstream_url = url;
  const credential = opt(obj, 'credential_id', path, (v, p) => checkCredentialId(ctx, v, p));
  if (credential !== undefined) target.credential_id = credential;
  if (!('model' in obj) && !('upstream_url' in obj) && !('credential_id' in obj)) {
    ctx.checker.add(path, 'a target names at least one of model, upstream_url, credential_id');
  }
  return target;
}

function checkBodyPath(ctx: ActionContext, value: unknown, path: string): string | undefined {
  const text = ctx.checker.string(value, path, { min: 1 });
  if (text === undefined) return undefined;
  const segments = parsePath(text);
  if (!segments || segments.some((s) => s.kind !== 'key')) {
    ctx.checker.add(path, `expected a dot path of keys like 'metadata.user', got '${text}'`);
    return undefined;
  }
  return text;
}

const TRANSFORM_KEYS: Readonly<Record<TransformOperation['type'], readonly string[]>> = {
  set_header: ['name', 'value'],
  remove_header: ['name'],
  append_system_prompt: ['text'],
  prepend_system_prompt: ['text'],
  regex_replace: ['pattern', 'replacement', 'global'],
  set_body_field: ['path', 'value'],
  remove_body_field: ['path'],
  add_to_message_list: ['role', 'content', 'position'],
};
const TRANSFORM_TYPES = Object.keys(TRANSFORM_KEYS) as TransformOperation['type'][];

function checkTransformOperation(ctx: ActionContext, value: unknown, path: string): TransformOperation | undefined {
  const { checker } = ctx;
  const op = checker.object(value, path);
  if (!op) return undefined;
  if (!('type' in op)) {
    checker.add(childPath(path, 'type'), "missing 'type'");
    return undefined;
  }
  const type = checker.oneOf(op['type'], childPath(path, 'type'), TRANSFORM_TYPES, 'transform type');
  if (!type) return undefined;
  checker.unknownKeys(op, path, ['type', ...TRANSFORM_KEYS[type]], `key for transform '${type}':`);
  const str = (key: string): string | undefined => req(ctx, op, key, path, (v, p) => checker.string(v, p));
  switch (type) {
    case 'set_header': {
      const name = req(ctx, op, 'name', path, (v, p) => checkHeaderName(ctx, v, p));
      if (name !== undefined && (PROTECTED_HEADERS as readonly string[]).includes(name.toLowerCase())) {
        checker.add(childPath(path, 'name'), `header '${name}' cannot be set by a policy`);
      }
      const headerValue = str('value');
      return name !== undefined && headerValue !== undefined ? { type, name, value: headerValue } : undefined;
    }
    case 'remove_header': {
      const name = req(ctx, op, 'name', path, (v, p) => checkHeaderName(ctx, v, p));
      if (name !== undefined && (PROTECTED_HEADERS as readonly string[]).includes(name.toLowerCase())) {
        checker.add(childPath(path, 'name'), `header '${name}' cannot be removed by a policy`);
      }
      return name !== undefined ? { type, name } : undefined;
    }
    case 'append_system_prompt':
    case 'prepend_system_prompt': {
      const text = str('text');
      return text !== undefined ? { type, text } : undefined;
    }
    case 'regex_replace': {
      const pattern = req(ctx, op, 'pattern', path, (v, p) => checkRegexParam(ctx, v, p));
      const replacement = str('replacement');
      const global = opt(op, 'global', path, (v, p) => checker.boolean(v, p)) ?? true;
      return pattern !== undefined && replacement !== undefined ? { type, pattern, replacement, global } : undefined;
    }
    case 'set_body_field': {
      const fieldPath = req(ctx, op, 'path', path, (v, p) => checkBodyPath(ctx, v, p));
      if (!('value' in op)) checker.add(childPath(path, 'value'), "missing required parameter 'value'");
      return fieldPath !== undefined ? { type, path: fieldPath, value: op['value'] } : undefined;
    }
    case 'remove_body_field': {
      const fieldPath = req(ctx, op, 'path', path, (v, p) => checkBodyPath(ctx, v, p));
      return fieldPath !== undefined ? { type, path: fieldPath } : undefined;
    }
    case 'add_to_message_list': {
      const role = req(ctx, op, 'role', path, (v, p) => checker.string(v, p, { min: 1 }));
      const content = str('content');
      const position =
        opt(op, 'position', path, (v, p) => checker.oneOf(v, p, ['first', 'last', 'before_last'] as const, 'position')) ?? 'before_last';
      return role !== undefined && content !== undefined ? { type, role, content, position } : undefined;
    }
  }
}

const ACTION_KEYS: Readonly<Record<PolicyActionType, readonly string[]>> = {
  allow: ['stop'],
  deny: ['status', 'message'],
  rate_limit: ['window', 'max_requests', 'key'],
  throttle: ['delay_ms'],
  require_approval: ['mode', 'timeout', 'fallback', 'notify'],
  redact: ['direction', 'patterns', 'fields', 'on_match'],
  content_filter: [],
  external_guardrail: [],
  tool_scope: ['allowed_tools', 'blocked_tools', 'deny_message'],
  validate_schema: ['schema', 'not', 'message'],
  transform: ['operations'],
  override: ['set_body_fields'],
  log: ['level', 'tags'],
  tag: ['key', 'value'],
  webhook: [],
  split: ['variants', 'experiment'],
  dynamic_route: ['strategy', 'pool', 'fallback'],
  conditional_route: ['branches', 'fallback'],
};

/** Checks the parameters of one action and returns it with its defaults applied. */
function checkParams(ctx: ActionContext, type: PolicyActionType, params: Params, path: string): PolicyAction | undefined {
  const { checker } = ctx;
  checker.unknownKeys(params, path, ['action', ...ACTION_KEYS[type]], `parameter for action '${type}':`);
  const problemsBefore = checker.problems.length;
  const done = <A extends PolicyAction>(action: A): A | undefined => (checker.problems.length === problemsBefore ? action : undefined);
  switch (type) {
    case 'allow':
      return done({ action: type, stop: opt(params, 'stop', path, (v, p) => checker.boolean(v, p)) ?? false });
    case 'deny':
      return done({
        action: type,
        status: opt(params, 'status', path, (v, p) => checker.integer(v, p, 400, 499)) ?? 403,
        message: opt(params, 'message', path, (v, p) => checker.string(v, p, { max: 1000 })) ?? 'request blocked by policy',
      });
    case 'rate_limit': {
      const window = req(ctx, params, 'window', path, (v, p) =>
        checker.duration(v, p, 1, 30 * DAY_SECS, '30d') ? (v as string) : undefined,
      );
      const maxRequests = req(ctx, params, 'max_requests', path, (v, p) => checker.integer(v, p, 1, 100_000));
      const key =
        opt(params, 'key', path, (v, p) =>
          checker.oneOf(v, p, ['per_token', 'per_agent', 'per_ip', 'per_user', 'global'] as const, 'key'),
        ) ?? 'per_token';
      return window !== undefined && maxRequests !== undefined ? done({ action: type, window, max_requests: maxRequests, key }) : undefined;
    }
    case 'throttle': {
      const delay = req(ctx, params, 'delay_ms', path, (v, p) => checker.integer(v, p, 0, 60_000));
      return delay !== undefined ? done({ action: type, delay_ms: delay }) : undefined;
    }
    case 'require_approval': {
      const mode = opt(params, 'mode', path, (v, p) => checker.oneOf(v, p, ['wait', 'async'] as const, 'mode')) ?? 'wait';
      const timeout =
        opt(params, 'timeout', path, (v, p) => (checker.duration(v, p, 1, 7 * DAY_SECS, '7d') ? (v as string) : undefined)) ?? '30m';
      const fallback = opt(params, 'fallback', path, (v, p) => checker.oneOf(v, p, ['deny', 'allow'] as const, 'fallback')) ?? 'deny';
      const notify = opt(params, 'notify', path, (v, p) => {
        const obj = checker.object(v, p);
        if (!obj) return undefined;
        checker.unknownKeys(obj, p, ['type', 'channel', 'url'], 'notify key');
        const notifyType = req(ctx, obj, 'type', p, (t, tp) => checker.oneOf(t, tp, ['slack', 'webhook'] as const, 'notify type'));
        const channel = opt(obj, 'channel', p, (c, cp) => checker.string(c, cp, { min: 1 }));
        const url = opt(obj, 'url', p, (u, up) => checker.httpUrl(u, up));
        if (notifyType === 'webhook' && !('url' in obj)) checker.add(childPath(p, 'url'), "a webhook notify target needs 'url'");
        if (url !== undefined) ctx.refs.urls.push({ path: childPath(p, 'url'), url, rules: 'full' });
        if (!notifyType) return undefined;
        return { type: notifyType, ...(channel !== undefined ? { channel } : {}), ...(url !== undefined ? { url } : {}) };
      });
      return done({ action: type, mode, timeout, fallback, ...(notify ? { notify } : {}) });
    }
    case 'redact': {
      const direction =
        opt(params, 'direction', path, (v, p) => checker.oneOf(v, p, ['request', 'response', 'both'] as const, 'direction')) ?? 'both';
      if (direction === 'request' && ctx.phase === 'post') {
        checker.add(childPath(path, 'direction'), "direction 'request' is invalid in a post-phase policy");
      }
      const patterns =
        opt(params, 'patterns', path, (v, p) => {
          const items = checker.stringArray(v, p);
          items?.forEach((pattern, i) => {
            if (!(PII_TYPES as readonly string[]).includes(pattern)) checkRegexParam(ctx, pattern, indexPath(p, i));
          });
          return items;
        }) ?? [];
      const fields = opt(params, 'fields', path, (v, p) => checker.stringArray(v, p)) ?? [];
      const onMatch =
        opt(params, 'on_match', path, (v, p) => checker.oneOf(v, p, ['redact', 'block', 'tokenize'] as const, 'on_match')) ?? 'redact';
      // The tokenization vault (guardrails.md §4) is not built yet: refused like the unavailable actions.
      if (onMatch === 'tokenize') checker.add(childPath(path, 'on_match'), "on_match 'tokenize' is not available yet");
      return done({ action: type, direction, patterns, fields, on_match: onMatch });
    }
    case 'tool_scope':
      return done({
        action: type,
        allowed_tools: opt(params, 'allowed_tools', path, (v, p) => checkGlobList(ctx, v, p)) ?? [],
        blocked_tools: opt(params, 'blocked_tools', path, (v, p) => checkGlobList(ctx, v, p)) ?? [],
        deny_message: opt(params, 'deny_message', path, (v, p) => checker.string(v, p, { max: 1000 })) ?? 'tool not permitted by policy',
      });
    case 'validate_schema': {
      const schema = req(ctx, params, 'schema', path, (v, p) => {
        if (typeof v !== 'boolean' && !isObject(v)) {
          checker.add(p, `expected a JSON Schema (object or boolean), got ${typeName(v)}`);
          return undefined;
        }
        try {
          compileJsonSchema(v);
        } catch (error) {
          checker.add(p, error instanceof SchemaError ? error.message : String(error));
          return undefined;
        }
        return v;
      });
      const not = opt(params, 'not', path, (v, p) => checker.boolean(v, p)) ?? false;
      const message = opt(params, 'message', path, (v, p) => checker.string(v, p, { max: 1000 }));
      return schema !== undefined ? done({ action: type, schema, not, ...(message !== undefined ? { message } : {}) }) : undefined;
    }
    case 'transform': {
      const operations = req(ctx, params, 'operations', path, (v, p) => {
        const items = checker.array(v, p, { min: 1 });
        if (!items) return undefined;
        const checked = items.map((item, i) => checkTransformOperation(ctx, item, indexPath(p, i)));
        return checked.every((op) => op !== undefined) ? (checked as TransformOperation[]) : undefined;
      });
      return operations ? done({ action: type, operations }) : undefined;
    }
    case 'override': {
      const fields = req(ctx, params, 'set_body_fields', path, (v, p) => checker.object(v, p));
      return fields ? done({ action: type, set_body_fields: fields }) : undefined;
    }
    case 'log':
      return done({
        action: type,
        level: opt(params, 'level', path, (v, p) => checker.oneOf(v, p, ['debug', 'info', 'warn', 'error'] as const, 'level')) ?? 'warn',
        tags: opt(params, 'tags', path, (v, p) => checker.stringMap(v, p)) ?? {},
      });
    case 'tag': {
      const key = req(ctx, params, 'key', path, (v, p) => checker.string(v, p, { min: 1, max: 200 }));
      const value = req(ctx, params, 'value', path, (v, p) => checker.string(v, p, { max: 1000 }));
      return key !== undefined && value !== undefined ? done({ action: type, key, value }) : undefined;
    }
    case 'split': {
      const variants = req(ctx, params, 'variants', path, (v, p) => {
        const items = checker.array(v, p, { min: 1 });
        if (!items) return undefined;
        return items.map((item, i) => {
          const variantPath = indexPath(p, i);
          const variant = checker.object(item, variantPath);
          if (!variant) return { weight: 1, set_body_fields: {} };
          checker.unknownKeys(variant, variantPath, ['weight', 'name', 'set_body_fields'], 'variant key');
          const weight = req(ctx, variant, 'weight', variantPath, (w, wp) => checker.integer(w, wp, 1, 1_000_000)) ?? 1;
          const name = opt(variant, 'name', variantPath, (n, np) => checker.string(n, np, { min: 1, max: 200 }));
          const setFields = req(ctx, variant, 'set_body_fields', variantPath, (f, fp) => checker.object(f, fp)) ?? {};
          return { weight, ...(name !== undefined ? { name } : {}), set_body_fields: setFields };
        });
      });
      const experiment = opt(params, 'experiment', path, (v, p) => checker.string(v, p, { min: 1, max: 200 }));
      return variants ? done({ action: type, variants, ...(experiment !== undefined ? { experiment } : {}) }) : undefined;
    }
    case 'dynamic_route': {
      const strategy = req(ctx, params, 'strategy', path, (v, p) =>
        checker.oneOf(v, p, ['lowest_cost', 'lowest_latency', 'round_robin', 'least_busy', 'weighted_random'] as const, 'strategy'),
      );
      const pool = req(ctx, params, 'pool', path, (v, p) => {
        const items = checker.array(v, p, { min: 1 });
        if (!items) return undefined;
        return items.map((item, i) => {
          const entryPath = indexPath(p, i);
          const entry = checker.object(item, entryPath);
          if (!entry) return { model: '', upstream_url: '' };
          checker.unknownKeys(entry, entryPath, ['model', 'upstream_url', 'credential_id'], 'pool key');
          const model = req(ctx, entry, 'model', entryPath, (m, mp) => checker.string(m, mp, { min: 1 })) ?? '';
          const url = req(ctx, entry, 'upstream_url', entryPath, (u, up) => checkUpstreamUrl(ctx, u, up)) ?? '';
          const credential = opt(entry, 'credential_id', entryPath, (c, cp) => checkCredentialId(ctx, c, cp));
          return { model, upstream_url: url, ...(credential !== undefined ? { credential_id: credential } : {}) };
        });
      });
      const fallback = opt(params, 'fallback', path, (v, p) => checkTarget(ctx, v, p));
      return strategy && pool ? done({ action: type, strategy, pool, ...(fallback ? { fallback } : {}) }) : undefined;
    }
    case 'conditional_route': {
      const branches = req(ctx, params, 'branches', path, (v, p) => {
        const items = checker.array(v, p, { min: 1 });
        if (!items) return undefined;
        return items.map((item, i) => {
          const branchPath = indexPath(p, i);
          const branch = checker.object(item, branchPath);
          const empty = { condition: { field: '', op: 'exists' as RouteBranchOperator }, target: {} };
          if (!branch) return empty;
          checker.unknownKeys(branch, branchPath, ['condition', 'target'], 'branch key');
          const condition = req(ctx, branch, 'condition', branchPath, (c, cp) => checkBranchCondition(ctx, c, cp));
          const target = req(ctx, branch, 'target', branchPath, (t, tp) => checkTarget(ctx, t, tp));
          return condition && target ? { condition, target } : empty;
        });
      });
      const fallback = opt(params, 'fallback', path, (v, p) => checkTarget(ctx, v, p));
      return branches ? done({ action: type, branches, ...(fallback ? { fallback } : {}) }) : undefined;
    }
    case 'content_filter':
    case 'external_guardrail':
    case 'webhook':
      return undefined;
  }
}

function checkBranchCondition(
  ctx: ActionContext,
  value: unknown,
  path: string,
): { field: string; op: RouteBranchOperator; value?: unknown } | undefined {
  const { checker } = ctx;
  const condition = checker.object(value, path);
  if (!condition) return undefined;
  checker.unknownKeys(condition, path, ['field', 'op', 'value'], 'branch condition key');
  const field = req(ctx, condition, 'field', path, (f, fp) => {
    const text = checker.string(f, fp, { min: 1 });
    if (text === undefined) return undefined;
    const parsed = parseBranchField(text);
    if (typeof parsed === 'string') {
      checker.add(fp, parsed);
      return undefined;
    }
    return text;
  });
  const op = req(ctx, condition, 'op', path, (o, op) => checker.oneOf(o, op, ROUTE_BRANCH_OPERATORS, 'operator'));
  if (op === undefined || field === undefined) return undefined;
  if (!checkOperatorValue(checker, path, op, 'value' in condition, condition['value'])) return undefined;
  return { field, op, ...('value' in condition ? { value: condition['value'] } : {}) };
}

/**
 * Checks one action object at `path` (`$.rules[i].then[j]`): known, available, valid in the
 * phase and, for async rules, allowed there; then its parameters. Returns it with defaults applied.
 */
export function checkAction(
  checker: Checker,
  raw: unknown,
  path: string,
  phase: PolicyPhase,
  asyncRule: boolean,
  refs: ActionRefs,
): PolicyAction | undefined {
  const params = checker.object(raw, path);
  if (!params) return undefined;
  const actionPath = childPath(path, 'action');
  if (!('action' in params)) {
    checker.add(actionPath, "missing 'action'");
    return undefined;
  }
  const name = params['action'];
  if (typeof name !== 'string' || !(POLICY_ACTION_TYPES as readonly string[]).includes(name)) {
    checker.add(actionPath, `unknown action ${typeof name === 'string' ? `'${name}'` : typeName(name)}`);
    return undefined;
  }
  const type = name as PolicyActionType;
  if (UNAVAILABLE_ACTIONS.has(type)) {
    checker.add(actionPath, `action '${type}' is not available yet`);
    return undefined;
  }
  let usable = true;
  if (!ACTION_PHASES[type].includes(phase)) {
    checker.add(actionPath, `action '${type}' cannot run in a ${phase}-phase policy`);
    usable = false;
  }
  if (asyncRule && !ASYNC_ACTIONS.has(type)) {
    checker.add(
      actionPath,
      `action '${type}' cannot be used in an async_check rule: it blocks or mutates the request, which an async rule never can`,
    );
    usable = false;
  }
  const action = checkParams({ checker, phase, refs }, type, params, path);
  return usable ? action : undefined;
}
