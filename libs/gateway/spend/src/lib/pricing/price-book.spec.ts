import { BUILTIN_PRICES } from './builtin-prices';
import { PriceList, resolvePrice, type PriceRowData } from './price-book';
import { compareSpecificity, compilePattern } from './price-pattern';

let seq = 0;
function row(provider: string, pattern: string, input: string, output: string, extra: Partial<PriceRowData> = {}): PriceRowData {
  seq += 1;
  return {
    id: `00000000-0000-0000-0000-${String(seq).padStart(12, '0')}`,
    org_id: null,
    provider,
    model_pattern: pattern,
    input_per_m: input,
    output_per_m: output,
    cached_input_per_m: null,
    max_output_tokens: null,
    is_active: true,
    updated_at_ms: 1_000,
    ...extra,
  };
}

const builtin = new PriceList(
  BUILTIN_PRICES.map((p) => row(p.provider, p.pattern, p.input, p.output, { cached_input_per_m: p.cached ?? null })),
);
const none = new PriceList([]);

function price(providers: string[], model: string, overrides = none) {
  return resolvePrice({ overrides, builtin }, providers, model);
}

describe('glob patterns', () => {
  it('matches the whole name, case-insensitively, with * (any run, also empty) and ? (one character)', () => {
    const p = compilePattern('GPT-4o*');
    expect(p.matches('gpt-4o')).toBe(true);
    expect(p.matches('gpt-4o-mini-2024-07-18')).toBe(true);
    expect(p.matches('xgpt-4o')).toBe(false);
    const q = compilePattern('claude-3-?-sonnet*');
    expect(q.matches('claude-3-5-sonnet-latest')).toBe(true);
    expect(q.matches('claude-3-57-sonnet')).toBe(false);
    const inner = compilePattern('*llama-3.1-8b*');
    expect(inner.matches('meta-llama/Llama-3.1-8B-Instruct')).toBe(true);
    // `.` is literal, not "any character".
    expect(inner.matches('llama-3x1-8b')).toBe(false);
    expect(compilePattern('gpt-4').matches('gpt-4o')).toBe(false);
    expect(compilePattern('*').matches('')).toBe(true);
  });

  it('counts wildcards and literals; fewer wildcards first, then more literals', () => {
    const exact = compilePattern('gpt-4o');
    const long = compilePattern('gpt-4o-mini*');
    const short = compilePattern('gpt-4o*');
    const two = compilePattern('*gpt-4o-mini*');
    expect([exact.wildcards, exact.literals]).toEqual([0, 6]);
    expect([two.wildcards, two.literals]).toEqual([2, 11]);
    const sorted = [two, short, exact, long].sort(compareSpecificity).map((p) => p.pattern);
    expect(sorted).toEqual(['gpt-4o', 'gpt-4o-mini*', 'gpt-4o*', '*gpt-4o-mini*']);
  });
});

describe('price lookup', () => {
  it('picks the most specific built-in pattern of the provider', () => {
    expect(price(['openai'], 'gpt-4o-mini-2024-07-18')).toMatchObject({ pattern: 'gpt-4o-mini*', inputPerM: 150_000, outputPerM: 600_000 });
    expect(price(['openai'], 'gpt-4o-2024-08-06')).toMatchObject({ pattern: 'gpt-4o*', inputPerM: 2_500_000, cachedInputPerM: 1_250_000 });
    expect(price(['openai'], 'gpt-4o-2024-05-13')).toMatchObject({ pattern: 'gpt-4o-2024-05-13*', inputPerM: 5_000_000 });
    expect(price(['openai'], 'gpt-4-0613')).toMatchObject({ pattern: 'gpt-4*' });
    expect(price(['openai'], 'gpt-4-turbo-preview')).toMatchObject({ pattern: 'gpt-4-turbo*' });
    expect(price(['anthropic'], 'claude-opus-4-5-20251101')).toMatchObject({ pattern: 'claude-opus-4-5*', inputPerM: 5_000_000 });
    expect(price(['anthropic'], 'claude-opus-4-1-20250805')).toMatchObject({ pattern: 'claude-opus-4*', inputPerM: 15_000_000 });
    expect(price(['google'], 'gemini-2.5-flash-lite')).toMatchObject({ pattern: 'gemini-2.5-flash-lite*' });
    expect(price(['google'], 'gemini-exp-1206')).toMatchObject({ pattern: 'gemini*' });
  });

  it('falls back to provider "*", and to null when nothing matches', () => {
    expect(price(['together'], 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo')).toMatchObject({
      provider: '*',
      pattern: '*llama-3.1-70b*',
    });
    expect(price(['unknown'], 'deepseek-chat')).toMatchObject({ provider: '*', inputPerM: 270_000 });
    expect(price(['unknown'], 'my-own-model')).toBeNull();
    expect(resolvePrice({ overrides: none, builtin }, ['openai'], null)).toBeNull();
  });

  it('tries the providers in order before "*" (a Groq-served meta-llama/… model after Together)', () => {
    expect(price(['together', 'groq'], 'meta-llama/llama-4-scout-17b-16e-instruct')).toMatchObject({
      provider: 'groq',
      inputPerM: 110_000,
    });
    expect(price(['together', 'groq'], 'some/unlisted-model')).toMatchObject({ provider: 'groq', pattern: '*' });
  });

  it('an override of the same pattern beats the built-in row, whatever their ages', () => {
    const overrides = new PriceList([row('openai', 'gpt-4o*', '2.00', '8.00', { org_id: 'org-1', updated_at_ms: 1 })]);
    expect(price(['openai'], 'gpt-4o', overrides)).toMatchObject({ override: true, inputPerM: 2_000_000 });
  });

  it('a more specific built-in row beats a broader override; a more specific override beats a built-in row', () => {
    const broad = new PriceList([row('openai', 'gpt-4*', '1.00', '1.00', { org_id: 'org-1' })]);
    expect(price(['openai'], 'gpt-4o-mini', broad)).toMatchObject({ override: false, pattern: 'gpt-4o-mini*' });
    expect(price(['openai'], 'gpt-4-0613', broad)).toMatchObject({ override: true });
    const exact = new PriceList([row('openai', 'gpt-4o-mini', '0.01', '0.02', { org_id: 'org-1' })]);
    expect(price(['openai'], 'GPT-4o-MINI', exact)).toMatchObject({ override: true, inputPerM: 10_000 });
  });

  it('breaks ties of equal specificity by the most recently updated row', () => {
    const lists = {
      overrides: new PriceList([
        row('openai', 'gpt-?o*', '1.00', '1.00', { org_id: 'o', updated_at_ms: 5 }),
        row('openai', 'gpt-4?*', '2.00', '2.00', { org_id: 'o', updated_at_ms: 9 }),
      ]),
      builtin: none,
    };
    expect(resolvePrice(lists, ['openai'], 'gpt-4o')).toMatchObject({ inputPerM: 2_000_000 });
  });

  it('ignores soft-deleted rows', () => {
    const overrides = new PriceList([row('openai', 'gpt-4o*', '9.00', '9.00', { org_id: 'o', is_active: false })]);
    expect(price(['openai'], 'gpt-4o', overrides)).toMatchObject({ override: false, inputPerM: 2_500_000 });
  });

  it('the built-in table has unique (provider, pattern) pairs and valid decimal prices', () => {
    const keys = BUILTIN_PRICES.map((p) => `${p.provider}|${p.pattern}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const p of BUILTIN_PRICES) {
      for (const value of [p.input, p.output, p.cached ?? '0']) expect(value).toMatch(/^\d+(\.\d{1,6})?$/);
    }
  });
});
