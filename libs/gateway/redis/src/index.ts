export { RedisModule, createKeyValueStore } from './lib/redis.module';
export type { RedisModuleOptions, RedisModuleAsyncOptions } from './lib/redis.module';
export { KeyValueStore } from './lib/key-value-store';
export type {
  CounterIncrement,
  KeyValueStoreMode,
  MessageHandler,
  SlidingWindowAllResult,
  SlidingWindowLimit,
  SlidingWindowOptions,
  SlidingWindowResult,
  Unsubscribe,
} from './lib/key-value-store';
export { RedisKeyValueStore } from './lib/redis-key-value-store';
export type { RedisKeyValueStoreOptions } from './lib/redis-key-value-store';
export { MemoryKeyValueStore } from './lib/memory-key-value-store';
export { TieredCache } from './lib/tiered-cache';
export type { TieredCacheOptions } from './lib/tiered-cache';
export { TieredCacheFactory } from './lib/tiered-cache.factory';
export { CacheInvalidationBus } from './lib/cache-invalidation-bus';
export type { InvalidationListener, InvalidationMessage } from './lib/cache-invalidation-bus';
export { INVALIDATION_CHANNEL, negativeResourceKey, resourceKey, resourceVersionKey } from './lib/cache-keys';
export { SPEND_GUARD_TTL_SECS, SPEND_RESERVATION_GRACE_MS, reservationMember } from './lib/spend-counters';
export type {
  SpendCapCheck,
  SpendCounterDelta,
  SpendCounterState,
  SpendFlushEntry,
  SpendLoadEntry,
  SpendReserveRequest,
  SpendReserveResult,
  SpendSettleRequest,
  SpendSettleResult,
} from './lib/spend-counters';
export { BREAKER_IDLE_TTL_SECS, BREAKER_RATE_WINDOW_SECS } from './lib/breaker-state';
export type {
  BreakerClaimResult,
  BreakerOutcome,
  BreakerRecordRequest,
  BreakerRecordResult,
  BreakerSettings,
  SharedBreakerStatus,
} from './lib/breaker-state';
