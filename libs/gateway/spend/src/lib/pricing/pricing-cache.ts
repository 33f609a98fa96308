import { Injectable } from '@nestjs/common';
import { AppConfig } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import { EMPTY_PRICE_LIST, PriceList, type PriceRowData } from './price-book';
import { PricingRepository, toPriceRowData } from './pricing.repository';
/** Cache kind of price lists: `ailink:res:pricing:{org_id}` and `ailink:res:pricing:builtin`. */
export const PRICING_CACHE_KIND = 'pricing';
/** The id under which the built-in rows are cached. */
export const BUILTIN_PRICES_ID = 'builtin';

/**
 * Price lists through the cache tiers (L1 → Redis → PostgreSQL): one for the built-in rows, one per
 * organisation for its overrides, compiled once per load (globs turned into matchers). Every write to
 * `model_pricing` invalidates the list it belongs to, on every instance within 1 s.
 */
@Injectable()
export class PricingCache {
  private readonly cache: TieredCache<PriceList>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: PricingRepository) {
    this.cache = factory.create<PriceList>({
      kind: PRICING_CACHE_KIND,
      loader: async (id) => new PriceList((await repository.activeRows(id === BUILTIN_PRICES_ID ? null : id)).map(toPriceRowData)),
      l1MaxEntries: Math.min(config.l1MaxEntries, 10_000),
      l1TtlMs: Math.max(1, config.l1TtlMs),
      l2TtlSecs: config.l2TtlSecs,
      serialize: (list) => JSON.stringify(list.rows),
      deserialize: (raw) => new PriceList(JSON.parse(raw) as PriceRowData[]),
    });
  }

  async lists(orgId: string): Promise<{ overrides: PriceList; builtin: PriceList }> {
    const [overrides, builtin] = await Promise.all([this.cache.get(orgId), this.cache.get(BUILTIN_PRICES_ID)]);
    return { overrides: overrides ?? EMPTY_PRICE_LIST, builtin: builtin ?? EMPTY_PRICE_LIST };
  }

  invalidate(orgId: string | null): Promise<void> {
    return this.cache.invalidate(orgId ?? BUILTIN_PRICES_ID);
  }
}
