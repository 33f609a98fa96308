import { Global, Injectable, Module } from '@nestjs/common';
import { RoutePriceSource } from '@ailink/gateway-policy';
import { PricingService, SpendModule, SpendProfileCache, providerCandidates } from '@ailink/gateway-spend';

/** No organisation (the project is gone): only the built-in price rows match. */
const NO_ORG = '00000000-0000-0000-0000-000000000000';

/**
 * Prices for the policies' `dynamic_route` `lowest_cost` strategy (proxy.md §11), from the pricing
 * feature through its cache tiers: the blended `(input_per_m + output_per_m) / 2` in USD per million
 * tokens, the project's organisation overrides (`/pricing`) winning over the built-in rows as for spend.
 */
@Injectable()
export class SpendRoutePriceSource extends RoutePriceSource {
  constructor(
    private readonly pricing: PricingService,
    private readonly profiles: SpendProfileCache,
  ) {
    super();
  }

  async blendedPricePerM(projectId: string, model: string, upstreamUrl: string): Promise<number | null> {
    const orgId = (await this.profiles.project(projectId))?.orgId ?? NO_ORG;
    const price = await this.pricing.lookup(orgId, providerCandidates(model, upstreamUrl), model);
    return price ? (price.inputPerM + price.outputPerM) / 2 / 1_000_000 : null;
  }
}

/** Binds the policies' route price source to the pricing feature (an adapter between two features, so it lives in the app). */
@Global()
@Module({
  imports: [SpendModule],
  providers: [{ provide: RoutePriceSource, useClass: SpendRoutePriceSource }],
  exports: [RoutePriceSource],
})
export class RoutePricesModule {}
