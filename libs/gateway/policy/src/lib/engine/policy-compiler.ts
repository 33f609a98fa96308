import {
  POLICY_MODES,
  POLICY_PHASES,
  type PolicyAction,
  type PolicyMode,
  type PolicyPhase,
  type PolicyRetry,
  type PolicyRule,
  type ValidationProblem,
} from '@ailink/shared-contracts';
import { checkAction, type ActionRefs } from './actions';
import { Checker, isObject, typeName, type JsonObject } from './checker';
import { compileConditionAt, type ConditionTest } from './conditions';
import { childPath, indexPath } from './json-path';

/** Rules per policy (policies.md §1). */
export const MAX_RULES = 200;
/** Serialised size limit of a policy's rules (policies.md §1: 64 KiB). */
export const MAX_RULES_BYTES = 64 * 1024;
export const MAX_NAME_LENGTH = 128;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The document fields a client writes (policies.md §1). */
const DOCUMENT_KEYS = ['name', 'mode', 'phase', 'rules', 'retry', 'buffer_streaming_for_post_flight'] as const;
/** Read-only fields a GET returns: ignored on write so a GET → PUT round trip works (§11 item 5). */
const READ_ONLY_KEYS = ['id', 'project_id', 'is_active', 'version', 'created_at', 'updated_at', 'managed', 'presets'] as const;
const RULE_KEYS = ['when', 'then', 'async_check'] as const;
const RETRY_KEYS = ['max_retries', 'base_backoff_ms', 'max_backoff_ms', 'jitter_ms', 'status_codes'] as const;

/** The retry block with its defaults applied (policies.md §8; proxy.md §12). */
export interface EffectiveRetry {
  max_retries: number;
  base_backoff_ms: number;
  max_backoff_ms: number;
  jitter_ms: number;
  status_codes: number[];
}

export const DEFAULT_POLICY_RETRY: Readonly<EffectiveRetry> = {
  max_retries: 3,
  base_backoff_ms: 500,
  max_backoff_ms: 10_000,
  jitter_ms: 200,
  status_codes: [429, 500, 502, 503, 504],
};

/** A policy document as stored: the fields a client controls, defaults applied at the top level. */
export interface PolicyDocument {
  name: string;
  mode: PolicyMode;
  phase: PolicyPhase;
  /** As written (the API returns them unchanged). */
  rules: PolicyRule[];
  retry: PolicyRetry | null;
  buffer_streaming_for_post_flight: boolean;
}

/** A rule ready to evaluate. */
export interface CompiledRule {
  index: number;
  test: ConditionTest;
  /** Defaults applied, in order. */
  actions: PolicyAction[];
  actionNames: string[];
  async: boolean;
  /** Holds `allow` with `stop: true`: later rules of the policy are not evaluated once it fires. */
  stop: boolean;
  /** The condition reads `response.body…` (post phase: a streamed response must then be buffered). */
  readsResponseBody?: boolean;
}

/** The result of validating and compiling a document. */
export interface CompiledDocument {
  document: PolicyDocument;
  rules: CompiledRule[];
  retry: EffectiveRetry | null;
  /** Some condition reads `usage.*`. */
  usesUsage: boolean;
  /** URLs and credential ids the document names (checked by the service at write time). */
  refs: ActionRefs;
}

export interface CompileResult {
  problems: ValidationProblem[];
  /** Present when there are no problems. */
  compiled?: CompiledDocument;
}

export interface CompileOptions {
  /** JSON path of the document (`$`, or `$.policies[3]` for imports). */
  basePath?: string;
  /** Whether `project_id` is a writable field here (create) rather than an ignored read-only one. */
  allowProjectId?: boolean;
}

function checkRetry(checker: Checker, raw: unknown, path: string): EffectiveRetry | null | undefined {
  if (raw === null) return null;
  const obj = checker.object(raw, path);
  if (!obj) return undefined;
  checker.unknownKeys(obj, path, RETRY_KEYS, 'retry key');
  const get = (key: keyof EffectiveRetry, min: number, max: number): number | undefined =>
    key in obj ? checker.integer(obj[key], childPath(path, key), min, max) : DEFAULT_POLICY_RETRY[key as 'max_retries'];
  const maxRetries = get('max_retries', 0, 10);
  const base = get('base_backoff_ms', 1, 60_000);
  const max = get('max_backoff_ms', 1, Number.MAX_SAFE_INTEGER);
  const jitter = get('jitter_ms', 0, 10_000);
  let codes: number[] | undefined = [...DEFAULT_POLICY_RETRY.status_codes];
  if ('status_codes' in obj) {
    const codesPath = childPath(path, 'status_codes');
    const items = checker.array(obj['status_codes'], codesPath);
    codes = items ? [] : undefined;
    items?.forEach((item, i) => {
      const code = checker.integer(item, indexPath(codesPath, i), 400, 599);
      if (code !== undefined) codes?.push(code);
    });
  }
  if (base !== undefined && max !== undefined && max < base) {
    checker.add(childPath(path, 'max_backoff_ms'), `must be at least base_backoff_ms (${base})`);
    return undefined;
  }
  if (maxRetries === undefined || base === undefined || max === undefined || jitter === undefined || !codes) return undefined;
  return { max_retries: maxRetries, base_backoff_ms: base, max_backoff_ms: max, jitter_ms: jitter, status_codes: codes };
}

function serialisedBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function compileRule(
  checker: Checker,
  raw: unknown,
  path: string,
  phase: PolicyPhase,
  refs: ActionRefs,
  usage: { uses: boolean },
): CompiledRule {
  const rule: CompiledRule = { index: 0, test: () => false, actions: [], actionNames: [], async: false, stop: false };
  const obj = checker.object(raw, path);
  if (!obj) return rule;
  checker.unknownKeys(obj, path, RULE_KEYS, 'rule key');
  if ('async_check' in obj) rule.async = checker.boolean(obj['async_check'], childPath(path, 'async_check')) ?? false;
  if ('when' in obj) {
    const ctx = { checker, phase, usesUsage: false, readsResponseBody: false };
    rule.test = compileConditionAt(obj['when'], childPath(path, 'when'), ctx);
    if (ctx.usesUsage) usage.uses = true;
    if (ctx.readsResponseBody) rule.readsResponseBody = true;
  } else {
    rule.test = () => true;
  }
  const thenPath = childPath(path, 'then');
  if (!('then' in obj)) {
    checker.add(thenPath, "missing 'then': a rule needs at least one action");
    return rule;
  }
  const then = obj['then'];
  const items: { raw: unknown; path: string }[] = [];
  if (Array.isArray(then)) {
    if (then.length === 0) checker.add(thenPath, 'a rule needs at least one action');
    then.forEach((item, j) => items.push({ raw: item, path: indexPath(thenPath, j) }));
  } else if (isObject(then)) {
    items.push({ raw: then, path: thenPath });
  } else {
    checker.add(thenPath, `expected an action object or an array of actions, got ${typeName(then)}`);
  }
  for (const item of items) {
    const action = checkAction(checker, item.raw, item.path, phase, rule.async, refs);
    if (!action) continue;
    rule.actions.push(action);
    rule.actionNames.push(action.action);
    if (action.action === 'allow' && action.stop === true) rule.stop = true;
  }
  return rule;
}

/**
 * Validates a policy document strictly (policies.md §2) and compiles it: conditions become
 * closures, regexes and globs are compiled on the linear-time engine, actions get their defaults.
 * Every problem is reported with its JSON path; a result without problems is always executable.
 */
export function compilePolicyDocument(raw: unknown, options: CompileOptions = {}): CompileResult {
  const base = options.basePath ?? '$';
  const checker = new Checker();
  if (!isObject(raw)) {
    checker.add(base, `expected a policy object, got ${typeName(raw)}`);
    return { problems: checker.problems };
  }
  const doc: JsonObject = raw;
  const allowed: string[] = [...DOCUMENT_KEYS];
  if (options.allowProjectId) allowed.push('project_id');
  checker.unknownKeys(
    doc,
    base,
    allowed,
    'field',
    READ_ONLY_KEYS.filter((key) => !allowed.includes(key)),
  );
  if (options.allowProjectId && 'project_id' in doc && doc['project_id'] !== null && doc['project_id'] !== undefined) {
    const projectId = checker.string(doc['project_id'], childPath(base, 'project_id'), { min: 1 });
    if (projectId !== undefined && !UUID.test(projectId)) checker.add(childPath(base, 'project_id'), 'must be a project UUID');
  }

  let name: string | undefined;
  if (!('name' in doc)) checker.add(childPath(base, 'name'), "missing required field 'name'");
  else name = checker.string(doc['name'], childPath(base, 'name'), { min: 1, max: MAX_NAME_LENGTH });

  const mode: PolicyMode | undefined =
    'mode' in doc ? checker.oneOf(doc['mode'], childPath(base, 'mode'), POLICY_MODES, 'mode') : 'enforce';
  const phaseChecked = 'phase' in doc ? checker.oneOf(doc['phase'], childPath(base, 'phase'), POLICY_PHASES, 'phase') : 'pre';
  // Unknown phase: still check the rules (as `pre`) so that every other problem is reported too.
  const phase: PolicyPhase = phaseChecked ?? 'pre';

  const buffer =
    'buffer_streaming_for_post_flight' in doc
      ? checker.boolean(doc['buffer_streaming_for_post_flight'], childPath(base, 'buffer_streaming_for_post_flight'))
      : false;

  let retry: EffectiveRetry | null | undefined = null;
  if ('retry' in doc) retry = checkRetry(checker, doc['retry'], childPath(base, 'retry'));

  const refs: ActionRefs = { urls: [], credentialIds: [] };
  const usage = { uses: false };
  const rules: CompiledRule[] = [];
  const rulesPath = childPath(base, 'rules');
  if (!('rules' in doc)) {
    checker.add(rulesPath, "missing required field 'rules'");
  } else {
    const items = checker.array(doc['rules'], rulesPath, { max: MAX_RULES });
    const bytes = items ? serialisedBytes(items) : 0;
    if (bytes > MAX_RULES_BYTES) {
      // One problem is enough: checking a huge document rule by rule helps nobody.
      checker.add(rulesPath, `rules serialise to ${bytes} bytes; the limit is ${MAX_RULES_BYTES} (64 KiB)`);
    } else if (items) {
      items.forEach((item, i) => {
        const rule = compileRule(checker, item, indexPath(rulesPath, i), phase, refs, usage);
        rule.index = i;
        rules.push(rule);
      });
    }
  }

  if (checker.problems.length > 0 || name === undefined || !mode || !phaseChecked || buffer === undefined || retry === undefined) {
    return { problems: checker.problems };
  }
  const document: PolicyDocument = {
    name,
    mode,
    phase,
    rules: doc['rules'] as PolicyRule[],
    retry: (doc['retry'] as PolicyRetry | null | undefined) ?? null,
    buffer_streaming_for_post_flight: buffer,
  };
  return { problems: [], compiled: { document, rules, retry, usesUsage: usage.uses, refs } };
}
