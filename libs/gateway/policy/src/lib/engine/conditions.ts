import { POLICY_OPERATORS, type PolicyOperator, type PolicyPhase } from '@ailink/shared-contracts';
import { Checker, isObject, typeName, type JsonObject } from './checker';
import { parseField, type FieldReader } from './fields';
import { childPath, indexPath } from './json-path';
import { compileOperator, toNumber, type OperatorTest } from './operators';
import { RegexError, globMatcher, regexMatcher } from './regex';
import type { PolicyRequestView } from './request-view';

/** A compiled condition. */
export type ConditionTest = (view: PolicyRequestView) => boolean;

/** Conditions nest at most this deep (policies.md §3). */
export const MAX_CONDITION_DEPTH = 16;

const FORMS = ['always', 'all', 'and', 'any', 'or', 'not', 'field'] as const;
const FIELD_KEYS = ['field', 'op', 'value'] as const;
const STRING_VALUE_OPS: ReadonlySet<PolicyOperator> = new Set(['starts_with', 'ends_with', 'glob', 'regex']);
const NUMERIC_OPS: ReadonlySet<PolicyOperator> = new Set(['gt', 'gte', 'lt', 'lte']);

const ALWAYS_TRUE: ConditionTest = () => true;
const ALWAYS_FALSE: ConditionTest = () => false;

export interface ConditionContext {
  checker: Checker;
  phase: PolicyPhase;
  /** Set when a field reads `usage.*`. */
  usesUsage: boolean;
  /** Set when a field reads `response.body…` (a post-phase rule that needs the whole response). */
  readsResponseBody?: boolean;
}

/**
 * Checks an operator's `value` (policies.md §2) and compiles the test. `path` is the condition
 * object's path. Shared by policy conditions and `conditional_route` branches.
 */
export function checkOperatorValue(
  checker: Checker,
  path: string,
  op: PolicyOperator,
  hasValue: boolean,
  value: unknown,
): OperatorTest | undefined {
  const valuePath = childPath(path, 'value');
  if (op === 'exists') {
    if (hasValue && typeof value !== 'boolean') {
      checker.add(valuePath, `'exists' takes no value, or a boolean; got ${typeName(value)}`);
      return undefined;
    }
    return compileOperator(op, hasValue ? value : undefined);
  }
  if (!hasValue || value === undefined) {
    checker.add(valuePath, `missing 'value' for operator '${op}'`);
    return undefined;
  }
  if (value === null) {
    checker.add(valuePath, `'value' of operator '${op}' must not be null`);
    return undefined;
  }
  if (op === 'in' && !Array.isArray(value)) {
    checker.add(valuePath, `'in' needs an array value, got ${typeName(value)}`);
    return undefined;
  }
  if (NUMERIC_OPS.has(op) && toNumber(value) === undefined) {
    checker.add(valuePath, `'${op}' needs a numeric value, got ${typeName(value)}`);
    return undefined;
  }
  if (STRING_VALUE_OPS.has(op) && typeof value !== 'string') {
    checker.add(valuePath, `'${op}' needs a string value, got ${typeName(value)}`);
    return undefined;
  }
  if (op === 'contains' && typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    checker.add(valuePath, `'contains' needs a string, number or boolean value, got ${typeName(value)}`);
    return undefined;
  }
  if (op === 'regex' || op === 'glob') {
    try {
      if (op === 'regex') regexMatcher(value as string);
      else globMatcher(value as string);
    } catch (error) {
      const reason = error instanceof RegexError ? error.message : String(error);
      checker.add(valuePath, op === 'glob' ? `glob does not compile: ${reason}` : reason);
      return undefined;
    }
  }
  return compileOperator(op, value);
}

function compileFieldCondition(node: JsonObject, path: string, ctx: ConditionContext): ConditionTest {
  const { checker } = ctx;
  checker.unknownKeys(node, path, FIELD_KEYS, 'condition key');
  let reader: FieldReader | undefined;
  const fieldPath = childPath(path, 'field');
  if (typeof node['field'] !== 'string') {
    checker.add(fieldPath, `expected a field name string, got ${typeName(node['field'])}`);
  } else {
    const parsed = parseField(node['field']);
    if (typeof parsed === 'string') {
      checker.add(fieldPath, parsed);
    } else if (parsed.phase === 'post' && ctx.phase === 'pre') {
      checker.add(fieldPath, `field '${node['field']}' is only available in the post phase`);
    } else {
      reader = parsed.read;
      if (parsed.usesUsage) ctx.usesUsage = true;
      if (node['field'].startsWith('response.body')) ctx.readsResponseBody = true;
    }
  }
  const opPath = childPath(path, 'op');
  let test: OperatorTest | undefined;
  if (!('op' in node)) {
    checker.add(opPath, "missing 'op'");
  } else if (typeof node['op'] !== 'string' || !(POLICY_OPERATORS as readonly string[]).includes(node['op'])) {
    const shown = typeof node['op'] === 'string' ? `'${node['op']}'` : typeName(node['op']);
    checker.add(opPath, `unknown operator ${shown}; expected one of ${POLICY_OPERATORS.join(', ')}`);
  } else {
    test = checkOperatorValue(checker, path, node['op'] as PolicyOperator, 'value' in node, node['value']);
  }
  if (!reader || !test) return ALWAYS_FALSE;
  const read = reader;
  const check = test;
  return (view) => check(read(view));
}

function compileList(node: JsonObject, key: string, path: string, ctx: ConditionContext, depth: number): ConditionTest[] | undefined {
  const listPath = childPath(path, key);
  const items = node[key];
  if (!Array.isArray(items)) {
    ctx.checker.add(listPath, `expected an array of conditions, got ${typeName(items)}`);
    return undefined;
  }
  return items.map((item, i) => compileConditionAt(item, indexPath(listPath, i), ctx, depth + 1));
}

/** Validates and compiles the condition at `path`; `depth` is 1 for a rule's `when`. */
export function compileConditionAt(raw: unknown, path: string, ctx: ConditionContext, depth = 1): ConditionTest {
  const { checker } = ctx;
  if (!isObject(raw)) {
    checker.add(path, `expected a condition object, got ${typeName(raw)}`);
    return ALWAYS_FALSE;
  }
  if (depth > MAX_CONDITION_DEPTH) {
    checker.add(path, `conditions nest deeper than ${MAX_CONDITION_DEPTH} levels`);
    return ALWAYS_FALSE;
  }
  const forms = FORMS.filter((form) => form in raw);
  if (forms.length === 0) {
    if ('op' in raw || 'value' in raw) {
      checker.add(childPath(path, 'field'), "missing 'field'");
    } else {
      checker.add(path, `a condition needs exactly one of ${FORMS.join(', ')}`);
    }
    return ALWAYS_FALSE;
  }
  if (forms.length > 1) {
    checker.add(path, `a condition has exactly one form; found ${forms.join(' and ')}`);
    return ALWAYS_FALSE;
  }
  const form = forms[0] ?? 'field';
  if (form === 'field') return compileFieldCondition(raw, path, ctx);
  checker.unknownKeys(raw, path, [form], 'condition key');
  switch (form) {
    case 'always': {
      const value = checker.boolean(raw['always'], childPath(path, 'always'));
      return value === false ? ALWAYS_FALSE : ALWAYS_TRUE;
    }
    case 'all':
    case 'and': {
      const children = compileList(raw, form, path, ctx, depth);
      if (!children) return ALWAYS_FALSE;
      if (children.length === 0) return ALWAYS_TRUE;
      return (view) => {
        for (const child of children) if (!child(view)) return false;
        return true;
      };
    }
    case 'any':
    case 'or': {
      const children = compileList(raw, form, path, ctx, depth);
      if (!children || children.length === 0) return ALWAYS_FALSE;
      return (view) => {
        for (const child of children) if (child(view)) return true;
        return false;
      };
    }
    case 'not': {
      const child = compileConditionAt(raw['not'], childPath(path, 'not'), ctx, depth + 1);
      return (view) => !child(view);
    }
  }
}
