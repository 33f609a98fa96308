export { RateLimitModule } from './lib/rate-limit.module';
export { RateLimitStage, RATE_LIMIT_HEADERS, rateLimitExceeded, subjectOf } from './lib/rate-limit.stage';
export { ClientIpStage } from './lib/client-ip.stage';
export { RateLimitReleaseHook } from './lib/rate-limit-release.hook';
export { planLimits } from './lib/rate-limit-plan';
export type { DefaultLimit, PlannedLimit } from './lib/rate-limit-plan';
export {
  actionHash,
  bucketOf,
  defaultLimitKey,
  policyLimitKey,
  shadowLimitKey,
  usageCounterKeys,
  windowSecs,
  MAX_WINDOW_SECS,
} from './lib/rate-limit-keys';
export type { RateLimitSubject } from './lib/rate-limit-keys';
