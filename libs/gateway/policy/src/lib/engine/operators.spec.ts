import type { PolicyOperator } from '@ailink/shared-contracts';
import { NOT_FOUND, type FieldValue } from './fields';
import { compileOperator, looseEqual, toNumber } from './operators';

const v = (value: unknown): FieldValue => ({ found: true, value });
const holds = (op: PolicyOperator, operand: unknown, field: FieldValue): boolean => compileOperator(op, operand)(field);

describe('operators (policies.md §3)', () => {
  describe('eq', () => {
    it('compares deeply, numbers and numeric strings alike', () => {
      expect(holds('eq', 'gpt-4o', v('gpt-4o'))).toBe(true);
      expect(holds('eq', 'gpt-4o', v('gpt-4'))).toBe(false);
      expect(holds('eq', 5, v('5'))).toBe(true);
      expect(holds('eq', '5.0', v(5))).toBe(true);
      expect(holds('eq', '5x', v(5))).toBe(false);
      expect(holds('eq', true, v(true))).toBe(true);
      expect(holds('eq', true, v('true'))).toBe(false);
      expect(holds('eq', { a: [1, { b: '2' }] }, v({ a: [1, { b: 2 }] }))).toBe(true);
      expect(holds('eq', { a: 1 }, v({ a: 1, b: 2 }))).toBe(false);
      expect(holds('eq', [1, 2], v([1, 2]))).toBe(true);
      expect(holds('eq', [1, 2], v([2, 1]))).toBe(false);
      expect(holds('eq', 'x', NOT_FOUND)).toBe(false);
    });
  });

  describe('neq', () => {
    it('needs the field present', () => {
      expect(holds('neq', 'a', v('b'))).toBe(true);
      expect(holds('neq', 'a', v('a'))).toBe(false);
      expect(holds('neq', 3, v('3'))).toBe(false);
      expect(holds('neq', 'a', NOT_FOUND)).toBe(false);
    });
  });

  describe('gt, gte, lt, lte', () => {
    it('compare numbers and numeric strings', () => {
      expect(holds('gt', 10, v(11))).toBe(true);
      expect(holds('gt', 10, v(10))).toBe(false);
      expect(holds('gte', 10, v(10))).toBe(true);
      expect(holds('gte', 10, v(9.99))).toBe(false);
      expect(holds('lt', '100', v('99.5'))).toBe(true);
      expect(holds('lt', 100, v(100))).toBe(false);
      expect(holds('lte', 100, v('100'))).toBe(true);
      expect(holds('lte', 100, v(101))).toBe(false);
      expect(holds('gt', '1e3', v(1001))).toBe(true);
    });

    it('are false when either side is not numeric or the field is missing', () => {
      expect(holds('gt', 1, v('many'))).toBe(false);
      expect(holds('lt', 1, v(true))).toBe(false);
      expect(holds('lt', 1, v([0]))).toBe(false);
      expect(holds('gte', 1, NOT_FOUND)).toBe(false);
      expect(holds('gt', 'x', v(5))).toBe(false);
    });
  });

  describe('in', () => {
    it('is eq against some element', () => {
      expect(holds('in', ['gpt-4o', 'gpt-4o-mini'], v('gpt-4o-mini'))).toBe(true);
      expect(holds('in', ['gpt-4o'], v('claude'))).toBe(false);
      expect(holds('in', [1, 2, 3], v('2'))).toBe(true);
      expect(holds('in', [], v('x'))).toBe(false);
      expect(holds('in', ['x'], NOT_FOUND)).toBe(false);
    });
  });

  describe('contains', () => {
    it('finds substrings of string fields', () => {
      expect(holds('contains', 'drop table', v('please drop table users'))).toBe(true);
      expect(holds('contains', 'DROP', v('please drop table'))).toBe(false);
      expect(holds('contains', 42, v('answer 42'))).toBe(true);
    });

    it('finds an element that is, or contains, the value in array fields', () => {
      expect(holds('contains', 'beta', v(['alpha', 'beta-test']))).toBe(true);
      expect(holds('contains', 'gamma', v(['alpha', 'beta']))).toBe(false);
      expect(holds('contains', 2, v([1, '2', 3]))).toBe(true);
      expect(holds('contains', 7, v([1, 2]))).toBe(false);
    });

    it('is false on other types and missing fields', () => {
      expect(holds('contains', 'a', v({ a: 1 }))).toBe(false);
      expect(holds('contains', '1', v(1))).toBe(false);
      expect(holds('contains', 'a', NOT_FOUND)).toBe(false);
    });
  });

  describe('starts_with, ends_with', () => {
    it('test strings, or any string element of an array', () => {
      expect(holds('starts_with', '/v1/', v('/v1/chat'))).toBe(true);
      expect(holds('starts_with', '/v2/', v('/v1/chat'))).toBe(false);
      expect(holds('ends_with', '/completions', v('/v1/chat/completions'))).toBe(true);
      expect(holds('ends_with', '/embeddings', v('/v1/chat/completions'))).toBe(false);
      expect(holds('starts_with', 'web', v(['sql_exec', 'web_search']))).toBe(true);
      expect(holds('ends_with', '_exec', v(['web_search', 'sql_exec']))).toBe(true);
      expect(holds('ends_with', 'x', v([1, 2]))).toBe(false);
      expect(holds('starts_with', '1', v(123))).toBe(false);
      expect(holds('starts_with', '', NOT_FOUND)).toBe(false);
    });
  });

  describe('glob', () => {
    it('matches * and ? case-sensitively, on strings or any array element', () => {
      expect(holds('glob', 'gpt-4*', v('gpt-4o-mini'))).toBe(true);
      expect(holds('glob', 'gpt-4?', v('gpt-4o-mini'))).toBe(false);
      expect(holds('glob', 'GPT-4*', v('gpt-4o'))).toBe(false);
      expect(holds('glob', 'db_*', v(['web_search', 'db_drop']))).toBe(true);
      expect(holds('glob', '*', NOT_FOUND)).toBe(false);
    });
  });

  describe('regex', () => {
    it('searches with RE2 on strings or any array element', () => {
      expect(holds('regex', '(?i)ignore (all )?previous instructions', v('Please IGNORE previous instructions'))).toBe(true);
      expect(holds('regex', '^\\d+$', v('12a'))).toBe(false);
      expect(holds('regex', 'sk-[a-z0-9]{8}', v(['hello', 'key sk-abcdef12']))).toBe(true);
      expect(holds('regex', '.*', v(5))).toBe(false);
      expect(holds('regex', '.*', NOT_FOUND)).toBe(false);
    });
  });

  describe('exists', () => {
    it('is true when the field resolves (value omitted or true)', () => {
      expect(holds('exists', undefined, v('x'))).toBe(true);
      expect(holds('exists', true, v(0))).toBe(true);
      expect(holds('exists', undefined, NOT_FOUND)).toBe(false);
    });

    it('with value false is true exactly when the field does not resolve', () => {
      expect(holds('exists', false, NOT_FOUND)).toBe(true);
      expect(holds('exists', false, v(''))).toBe(false);
    });
  });

  it('makes every operator false on an unresolved field except exists:false', () => {
    const operands: Record<PolicyOperator, unknown> = {
      eq: 'x',
      neq: 'x',
      gt: 1,
      gte: 1,
      lt: 1,
      lte: 1,
      in: ['x'],
      contains: 'x',
      starts_with: 'x',
      ends_with: 'x',
      glob: '*',
      regex: '.*',
      exists: true,
    };
    for (const [op, operand] of Object.entries(operands))
      expect({ op, result: holds(op as PolicyOperator, operand, NOT_FOUND) }).toEqual({ op, result: false });
    expect(holds('exists', false, NOT_FOUND)).toBe(true);
  });
});

describe('helpers', () => {
  it('toNumber accepts numbers and decimal strings only', () => {
    expect(toNumber(3)).toBe(3);
    expect(toNumber(' 2.5 ')).toBe(2.5);
    expect(toNumber('-1e2')).toBe(-100);
    expect(toNumber('')).toBeUndefined();
    expect(toNumber('0x10')).toBeUndefined();
    expect(toNumber(Number.NaN)).toBeUndefined();
    expect(toNumber(true)).toBeUndefined();
  });

  it('looseEqual compares arrays and objects structurally', () => {
    expect(looseEqual([1, { a: '1' }], ['1', { a: 1 }])).toBe(true);
    expect(looseEqual({ a: 1 }, [1])).toBe(false);
    expect(looseEqual(null, null)).toBe(true);
  });
});
