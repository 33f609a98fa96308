import { Checker } from './checker';
import { MAX_CONDITION_DEPTH, compileConditionAt, type ConditionTest } from './conditions';
import { testView } from './test-view';

const T = { field: 'request.method', op: 'eq', value: 'POST' };
const F = { field: 'request.method', op: 'eq', value: 'GET' };

function compile(condition: unknown): ConditionTest {
  const checker = new Checker();
  const test = compileConditionAt(condition, '$.when', { checker, phase: 'pre', usesUsage: false });
  expect(checker.problems).toEqual([]);
  return test;
}

function problems(condition: unknown, phase: 'pre' | 'post' = 'pre'): { path: string; message: string }[] {
  const checker = new Checker();
  compileConditionAt(condition, '$.when', { checker, phase, usesUsage: false });
  return checker.problems;
}

const evaluate = (condition: unknown): boolean => compile(condition)(testView());

describe('condition combinators (policies.md §3)', () => {
  it('always', () => {
    expect(evaluate({ always: true })).toBe(true);
    expect(evaluate({ always: false })).toBe(false);
  });

  it('all / and: every child true; empty list true', () => {
    for (const key of ['all', 'and']) {
      expect(evaluate({ [key]: [T, T] })).toBe(true);
      expect(evaluate({ [key]: [T, F] })).toBe(false);
      expect(evaluate({ [key]: [F, T] })).toBe(false);
      expect(evaluate({ [key]: [] })).toBe(true);
    }
  });

  it('any / or: at least one child true; empty list false', () => {
    for (const key of ['any', 'or']) {
      expect(evaluate({ [key]: [F, T] })).toBe(true);
      expect(evaluate({ [key]: [F, F] })).toBe(false);
      expect(evaluate({ [key]: [] })).toBe(false);
    }
  });

  it('not: negation', () => {
    expect(evaluate({ not: T })).toBe(false);
    expect(evaluate({ not: F })).toBe(true);
    expect(evaluate({ not: { not: T } })).toBe(true);
  });

  it('field checks', () => {
    expect(evaluate(T)).toBe(true);
    expect(evaluate(F)).toBe(false);
  });

  it('nests', () => {
    const condition = {
      all: [
        { any: [{ field: 'request.body.model', op: 'glob', value: 'gpt-4*' }, F] },
        { not: { field: 'token.tags.env', op: 'eq', value: 'dev' } },
        { or: [{ field: 'context.time.hour', op: 'gte', value: 9 }] },
        { and: [{ always: true }] },
      ],
    };
    expect(evaluate(condition)).toBe(true);
  });

  it('evaluates lazily: any stops at the first true child', () => {
    const calls: string[] = [];
    const view = testView({
      header: (name) => {
        calls.push(name);
        return 'x';
      },
    });
    const test = compile({ any: [T, { field: 'request.headers.x-a', op: 'exists' }] });
    expect(test(view)).toBe(true);
    expect(calls).toEqual([]);
  });

  it('allows nesting up to 16 levels and refuses deeper', () => {
    let ok: unknown = T;
    for (let i = 1; i < MAX_CONDITION_DEPTH; i++) ok = { not: ok };
    expect(problems(ok)).toEqual([]);
    const tooDeep = { not: ok };
    const found = problems(tooDeep);
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toBe('conditions nest deeper than 16 levels');
    expect(found[0]?.path).toBe('$.when' + '.not'.repeat(MAX_CONDITION_DEPTH));
  });

  it('refuses an object with two forms, or none', () => {
    expect(problems({ all: [], any: [] })).toEqual([{ path: '$.when', message: 'a condition has exactly one form; found all and any' }]);
    expect(problems({ always: true, field: 'request.method', op: 'exists' })).toEqual([
      { path: '$.when', message: 'a condition has exactly one form; found always and field' },
    ]);
    expect(problems({})).toEqual([{ path: '$.when', message: 'a condition needs exactly one of always, all, and, any, or, not, field' }]);
    expect(problems({ op: 'eq', value: 1 })).toEqual([{ path: '$.when.field', message: "missing 'field'" }]);
  });

  it('refuses unknown keys and wrong types inside combinators', () => {
    expect(problems({ all: [T], extra: 1 })).toEqual([{ path: '$.when.extra', message: "unknown condition key 'extra'" }]);
    expect(problems({ field: 'request.method', op: 'eq', value: 'GET', negate: true })).toEqual([
      { path: '$.when.negate', message: "unknown condition key 'negate'" },
    ]);
    expect(problems({ all: T })).toEqual([{ path: '$.when.all', message: 'expected an array of conditions, got object' }]);
    expect(problems({ always: 'yes' })).toEqual([{ path: '$.when.always', message: 'expected a boolean, got string' }]);
    expect(problems({ any: [T, 'x'] })).toEqual([{ path: '$.when.any[1]', message: 'expected a condition object, got string' }]);
    expect(problems(['x'])).toEqual([{ path: '$.when', message: 'expected a condition object, got array' }]);
  });

  it('refuses response.* fields in a pre-phase policy, accepts them in post', () => {
    const condition = { field: 'response.status', op: 'gte', value: 500 };
    expect(problems(condition, 'pre')).toEqual([
      { path: '$.when.field', message: "field 'response.status' is only available in the post phase" },
    ]);
    expect(problems(condition, 'post')).toEqual([]);
  });
});
