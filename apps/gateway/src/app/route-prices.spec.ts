import type { PricingService, SpendProfileCache } from '@ailink/gateway-spend';
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
    const ORG = '11111111-2222-4333-8444-555555555555';
    const profiles = {
      project: async (id: string) => (id === 'p' ? { orgId: ORG } : null),
    } as unknown as SpendProfileCache;
    const source = new SpendRoutePriceSource(pricing, profiles);
    expect(await source.blendedPricePerM('p', 'gpt-4o-mini', 'https://api.openai.com/v1')).toBeCloseTo(0.375);
    expect(await source.blendedPricePerM('p', 'unknown-model', 'http://127.0.0.1:1')).toBeNull();
    // The project's organisation, so its /pricing overrides count; a vanished project only sees built-in rows.
    expect(asked[0]).toEqual([ORG, ['openai'], 'gpt-4o-mini']);
    await source.blendedPricePerM('gone', 'gpt-4o-mini', 'https://api.openai.com/v1');
    expect(asked[2]).toEqual(['00000000-0000-0000-0000-000000000000', ['openai'], 'gpt-4o-mini']);
  });
});
