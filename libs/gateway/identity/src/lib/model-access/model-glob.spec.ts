import { anyModelMatches, modelMatches, modelPatternProblems } from './model-glob';

describe('model patterns (identity.md §7)', () => {
  it.each([
    ['*', 'anything-at-all', true],
    ['*', '', true],
    ['gpt-4o*', 'gpt-4o', true],
    ['gpt-4o*', 'gpt-4o-mini', true],
    ['gpt-4o*', 'GPT-4O-MINI', true],
    ['GPT-4o*', 'gpt-4o-2024-08-06', true],
    ['gpt-4o*', 'gpt-4', false],
    ['gpt-4o*', 'my-gpt-4o', false],
    ['*mini*', 'gpt-4o-mini', true],
    ['*mini*', 'mini', true],
    ['*mini*', 'gpt-4o', false],
    ['gpt-4o', 'gpt-4o', true],
    ['gpt-4o', 'gpt-4o-mini', false],
    ['gpt-4o', 'gpt-4', false],
    ['claude-?-haiku', 'claude-3-haiku', true],
    ['claude-?-haiku', 'claude-35-haiku', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['*-latest', 'gemini-1.5-pro-latest', true],
    ['models/*', 'models/gemini-pro', true],
  ])('%s matches %s → %s', (pattern, model, expected) => {
    expect(modelMatches(pattern, model)).toBe(expected);
  });

  it('treats a list as an allow list: any match allows, an empty list allows nothing', () => {
    expect(anyModelMatches(['claude-*', 'gpt-4o*'], 'gpt-4o-mini')).toBe(true);
    expect(anyModelMatches(['claude-*'], 'gpt-4o-mini')).toBe(false);
    expect(anyModelMatches([], 'gpt-4o-mini')).toBe(false);
  });

  it('stays fast on adversarial patterns', () => {
    const started = Date.now();
    expect(modelMatches('*a*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(256))).toBe(false);
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('reports empty, non-string, control-character and over-long entries with their paths', () => {
    expect(modelPatternProblems(['gpt-4o*', '', 3, 'a\nb', 'x'.repeat(300)], '$.models')).toEqual([
      { path: '$.models[1]', message: 'must be a non-empty string' },
      { path: '$.models[2]', message: 'must be a non-empty string' },
      { path: '$.models[3]', message: 'must not contain control characters' },
      { path: '$.models[4]', message: 'must be at most 256 characters' },
    ]);
    expect(modelPatternProblems(['gpt-4o*'], '$.models')).toEqual([]);
  });
});
