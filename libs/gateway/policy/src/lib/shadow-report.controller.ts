import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ShadowReport } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ShadowReportService } from './shadow-report.service';

/** `GET /api/v1/policies/{id}/shadow-report` (management-api.md "Policies"). */
@ApiTags('policies')
@ApiSecurity('admin-key')
@Controller('policies')
export class ShadowReportController {
  constructor(private readonly reports: ShadowReportService) {}

  @Get(':id/shadow-report')
  @RequireScope('policies:read')
  @ApiOperation({ summary: 'What the policy’s rules would have done (shadow mode), from the audit records' })
  @ApiQuery({ name: 'from', required: false, description: 'RFC 3339, inclusive (default: 24 h before `to`)' })
  @ApiQuery({ name: 'to', required: false, description: 'RFC 3339, exclusive (default: now)' })
  @ApiOkResponse({
    description: '{policy_id, from, to, total_requests, would_have_fired, by_rule:[{rule_index, actions, count, would_block}]}',
  })
  report(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query('from') from?: unknown,
    @Query('to') to?: unknown,
  ): Promise<ShadowReport> {
    return this.reports.report(principal, id, { from, to });
  }
}
