import type { PricingService } from '@ailink/gateway-spend';
import { SpendRoutePriceSource } from './route-prices.module';

describe('SpendRoutePriceSource (dynamic_route lowest_cost prices)', () => {
  it('blends input and output prices per million tokens (USD) from the pricing feature', async () => {
    const asked: unknown[][] = [];
    const pricing = {
      lookup: async (orgId: string, providers: string[], model: string) => {
        asked.push([orgId, providers, model]);
        return model === 'gpt-4o-mini' ? { inputPerM: 150_000, outputPerM: 600_000 } : null;
      },
    } as unknown as PricingService;
    const source = new SpendRoutePriceSource(pricing);
    expect(await source.blendedPricePerM('p', 'gpt-4o-mini', 'https://api.openai.com/v1')).toBeCloseTo(0.375);
    expect(await source.blendedPricePerM('p', 'unknown-model', 'http://127.0.0.1:1')).toBeNull();
    expect(asked[0]).toEqual(['00000000-0000-0000-0000-000000000000', ['openai'], 'gpt-4o-mini']);
  });
});
