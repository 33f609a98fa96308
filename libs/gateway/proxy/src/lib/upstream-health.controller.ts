import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '@ailink/gateway-core';
import type { BreakerSnapshot } from './circuit-breaker';
import { ProxyHandler } from './proxy-handler';

@ApiTags('system')
@ApiSecurity('admin-key')
@Controller('health')
export class UpstreamHealthController {
  constructor(private readonly handler: ProxyHandler) {}

  /** Circuit-breaker state of every (token, upstream) pair this instance has seen. */
  @Get('upstreams')
  @RequireScope('system:read')
  @ApiOkResponse({ description: '[{token_id, url, state, is_healthy, failure_count, cooldown_remaining_secs}]' })
  upstreams(): BreakerSnapshot[] {
    return this.handler.breakers.snapshot();
  }
}
