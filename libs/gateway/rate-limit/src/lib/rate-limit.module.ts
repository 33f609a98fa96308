import { Module } from '@nestjs/common';
import { EventsModule } from '@ailink/gateway-events';
import { ClientIpStage } from './client-ip.stage';
import { RateLimitEvents } from './rate-limit-events';
import { RateLimitReleaseHook } from './rate-limit-release.hook';
import { RateLimitStage } from './rate-limit.stage';

/**
 * Rate limiting on the proxy path: the `client-ip` stage (trusted proxies) and the `rate-limit` stage
 * (proxy.md §7 step 7). Needs the global CoreModule (AppConfig, logger) and RedisModule (KeyValueStore).
 */
@Module({
  imports: [EventsModule],
  providers: [ClientIpStage, RateLimitStage, RateLimitEvents, RateLimitReleaseHook],
  exports: [ClientIpStage, RateLimitStage, RateLimitReleaseHook],
})
export class RateLimitModule {}
