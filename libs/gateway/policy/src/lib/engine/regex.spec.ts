import { MAX_REGEX_LENGTH, MAX_REGEX_PROGRAM_SIZE, RegexError, compileRegex, globMatcher, globToRegex, regexMatcher } from './regex';

function regexError(pattern: string): string {
  try {
    compileRegex(pattern);
  } catch (error) {
    expect(error).toBeInstanceOf(RegexError);
    return (error as Error).message;
  }
  throw new Error(`'${pattern}' compiled`);
}

describe('compileRegex (RE2 on re2js)', () => {
  it('searches unanchored and honours inline flags', () => {
    expect(regexMatcher('b+c').test('abbbcd')).toBe(true);
    expect(regexMatcher('^b').test('abc')).toBe(false);
    expect(regexMatcher('(?i)SECRET').test('a secret plan')).toBe(true);
    expect(regexMatcher('SECRET').test('a secret plan')).toBe(false);
    expect(regexMatcher('(?s)a.b').test('a\nb')).toBe(true);
    expect(regexMatcher('a.b').test('a\nb')).toBe(false);
    expect(regexMatcher('(?m)^two$').test('one\ntwo\nthree')).toBe(true);
    expect(regexMatcher('^two$').test('one\ntwo\nthree')).toBe(false);
    expect(regexMatcher('\\d{3}-\\d{2}-\\d{4}').test('ssn 123-45-6789')).toBe(true);
    expect(regexMatcher('(?P<word>\\w+)').test('named groups work')).toBe(true);
  });

  it('rejects backreferences', () => {
    expect(regexError('(a)\\1')).toMatch(/backreferences .* not supported/);
    expect(regexError('(?P<x>a)\\k<x>')).toMatch(/backreferences .* not supported/);
  });

  it('rejects lookahead and lookbehind', () => {
    for (const pattern of ['foo(?=bar)', 'foo(?!bar)', '(?<=foo)bar', '(?<!foo)bar']) {
      expect(regexError(pattern)).toMatch(/lookaround .* not supported/);
    }
  });

  it('rejects syntax errors with RE2’s reason', () => {
    expect(regexError('[a-')).toBe('invalid regex: missing closing ]: `[a-`');
    expect(regexError('a**')).toMatch(/^invalid regex: invalid nested repetition operator/);
    expect(regexError('(abc')).toMatch(/^invalid regex: missing closing \)/);
  });

  it('enforces the size limits', () => {
    expect(regexError('a'.repeat(MAX_REGEX_LENGTH + 1))).toMatch(/limit is 4096/);
    expect(regexError('a{1001}')).toMatch(/invalid repeat count/);
    // Each repetition is within RE2's own bounds, the program is not.
    expect(regexError('[a-z]{1000}[0-9]{1000}'.repeat(12))).toMatch(new RegExp(`limit is ${MAX_REGEX_PROGRAM_SIZE}`));
  });

  it('matches in linear time where a backtracking engine would not finish', () => {
    const evil = regexMatcher('^(a+)+$');
    const started = Date.now();
    expect(evil.test('a'.repeat(50_000) + '!')).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('globs', () => {
  it('translates * and ? and quotes everything else', () => {
    expect(globToRegex('gpt-4*')).toBe('(?s)^gpt-4.*$');
    expect(globToRegex('a?c')).toBe('(?s)^a.c$');
    expect(globToRegex('a***b?*')).toBe('(?s)^a.*b..*$');
    expect(globToRegex('x.(y)+')).toBe('(?s)^x\\.\\(y\\)\\+$');
  });

  it('matches the whole string, case-sensitively, with * crossing / and newlines', () => {
    const m = globMatcher('/v1/*');
    expect(m.test('/v1/chat/completions')).toBe(true);
    expect(m.test('/v2/chat')).toBe(false);
    expect(m.test('x/v1/chat')).toBe(false);
    expect(globMatcher('gpt-4?').test('gpt-4o')).toBe(true);
    expect(globMatcher('gpt-4?').test('gpt-4')).toBe(false);
    expect(globMatcher('gpt-4?').test('gpt-4oo')).toBe(false);
    expect(globMatcher('GPT*').test('gpt-4')).toBe(false);
    expect(globMatcher('a*b').test('a\nline\nb')).toBe(true);
    expect(globMatcher('[x]').test('[x]')).toBe(true);
    expect(globMatcher('[x]').test('x')).toBe(false);
    expect(globMatcher('exact').test('exact')).toBe(true);
    expect(globMatcher('exact').test('exactly')).toBe(false);
  });
});
