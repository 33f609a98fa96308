import type { ResolvedPrice } from '../pricing/price-book';
import { costMicros, tokensCostCeil } from './cost';
import { normaliseUsage } from './usage';

function price(input: number, output: number, cached: number | null = null): ResolvedPrice {
  return {
    id: 'p',
    override: false,
    provider: 'openai',
    pattern: '*',
    inputPerM: input,
    outputPerM: output,
    cachedInputPerM: cached,
    maxOutputTokens: null,
  };
}

const GPT_4O = price(2_500_000, 10_000_000, 1_250_000);

describe('cost (vault-and-spend.md §5)', () => {
  it('prices prompt and completion tokens per million, rounded half up to 6 decimals', () => {
    // 1000 × 2.50/M + 500 × 10/M = 0.0025 + 0.005
    expect(costMicros({ promptTokens: 1000, completionTokens: 500, cachedTokens: 0 }, GPT_4O)).toBe(7500);
    // 9 × 0.15/M + 4 × 0.60/M = 3.75 µ$ → 4 µ$
    expect(costMicros({ promptTokens: 9, completionTokens: 4, cachedTokens: 0 }, price(150_000, 600_000))).toBe(4);
    // 1 × 0.15/M = 0.15 µ$ → 0
    expect(costMicros({ promptTokens: 1, completionTokens: 0, cachedTokens: 0 }, price(150_000, 600_000))).toBe(0);
  });

  it('bills cached prompt tokens at the cached price, and at the input price when there is none', () => {
    const usage = { promptTokens: 10_000, completionTokens: 1000, cachedTokens: 8000 };
    // 2000 × 2.50 + 8000 × 1.25 + 1000 × 10 (per M) = 0.005 + 0.01 + 0.01
    expect(costMicros(usage, GPT_4O)).toBe(25_000);
    expect(costMicros(usage, price(2_500_000, 10_000_000))).toBe(35_000);
    // Cached tokens never exceed the prompt.
    expect(costMicros({ promptTokens: 10, completionTokens: 0, cachedTokens: 50 }, GPT_4O)).toBe(13);
  });

  it('stays exact for large counts', () => {
    expect(costMicros({ promptTokens: 2_000_000_000, completionTokens: 0, cachedTokens: 0 }, price(75_000_000, 0))).toBe(150_000_000_000);
  });

  it('estimates round up', () => {
    expect(tokensCostCeil(1, 2_500_000, 100, 10_000_000)).toBe(1003);
    expect(tokensCostCeil(0, 0, 0, 0)).toBe(0);
  });

  it('prices normalised Anthropic usage with cache reads', () => {
    const usage = normaliseUsage({ input_tokens: 100, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 50 });
    expect(usage).toEqual({ promptTokens: 1300, completionTokens: 50, cachedTokens: 1000 });
    // Sonnet: (300 × 3 + 1000 × 0.30 + 50 × 15) / M
    expect(costMicros(usage!, price(3_000_000, 15_000_000, 300_000))).toBe(1950);
  });
});
