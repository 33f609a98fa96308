import { Module } from '@nestjs/common';
import { ClientIpStage } from './client-ip.stage';
import { RateLimitStage } from './rate-limit.stage';

/**
 * Rate limiting on the proxy path: the `client-ip` stage (trusted proxies) and the `rate-limit` stage
 * (proxy.md §7 step 7). Needs the global CoreModule (AppConfig, logger) and RedisModule (KeyValueStore).
 */
@Module({
  providers: [ClientIpStage, RateLimitStage],
  exports: [ClientIpStage, RateLimitStage],
})
export class RateLimitModule {}
