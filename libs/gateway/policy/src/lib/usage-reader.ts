import { Injectable } from '@nestjs/common';
import { KeyValueStore } from '@ailink/gateway-redis';
import type { PolicyUsageView } from './engine/request-view';

/** `ailink:usage:req:{token}:{YYYY-MM-DD}` (data-model.md): requests of a token on a UTC day. */
export function requestsTodayKey(tokenId: string, now: Date): string {
  return `ailink:usage:req:${tokenId}:${now.toISOString().slice(0, 10)}`;
}

/** `ailink:usage:req:{token}:{YYYY-MM-DDTHH}`: requests of a token in a UTC hour. */
export function requestsThisHourKey(tokenId: string, now: Date): string {
  return `ailink:usage:req:${tokenId}:${now.toISOString().slice(0, 13)}`;
}

/**
 * Reads a token's usage for `usage.*` conditions (proxy.md §7 step 5: one Redis read, only when an
 * attached policy references `usage.*`). Override this provider to supply spend figures.
 */
export abstract class PolicyUsageReader {
  abstract read(tokenId: string, now: Date): Promise<PolicyUsageView>;
}

/**
 * The default reader: the request counters in one MGET; each count includes this request (the
 * counters are incremented in step 7, after the conditions are evaluated). The spend figures come
 * from the spend feature (`usage.spend_*` does not resolve until a reader supplies them).
 */
@Injectable()
export class CounterUsageReader extends PolicyUsageReader {
  constructor(private readonly store: KeyValueStore) {
    super();
  }

  async read(tokenId: string, now: Date): Promise<PolicyUsageView> {
    const [today, hour] = await this.store.mget([requestsTodayKey(tokenId, now), requestsThisHourKey(tokenId, now)]);
    return {
      requestsToday: Number(today ?? 0) + 1,
      requestsThisHour: Number(hour ?? 0) + 1,
      spendTodayUsd: null,
      spendMonthUsd: null,
    };
  }
}
