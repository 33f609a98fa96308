import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import type { BreakerSnapshot } from './circuit-breaker';
import { ProxyHandler } from './proxy-handler';

@ApiTags('system')
@ApiSecurity('admin-key')
@Controller('health')
export class UpstreamHealthController {
  constructor(
    private readonly handler: ProxyHandler,
    private readonly scope: ProjectScope,
  ) {}

  /** Circuit-breaker state of every (token, upstream) pair of the caller's organisation this instance has seen. */
  @Get('upstreams')
  @RequireScope('system:read')
  @ApiOkResponse({ description: '[{token_id, url, state, is_healthy, failure_count, cooldown_remaining_secs}]' })
  async upstreams(@CurrentPrincipal() principal: Principal): Promise<BreakerSnapshot[]> {
    // Only the caller's organisation's tokens (identity.md §8, isolation).
    const seen = this.handler.breakers.snapshot().map((s) => s.token_id);
    return this.handler.breakers.snapshot(await this.scope.visibleTokenIds(principal, seen));
  }
}
