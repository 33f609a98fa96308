import { Body, Controller, Get, Param, Patch, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { SessionEntityResponse } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { SessionQueryDto, SessionSpendCapDto, SessionStatusDto } from './sessions.dto';
import { SessionsService } from './sessions.service';

/**
 * Session lifecycle routes (management-api.md "Approvals, audit, sessions"). `{id}` is the client's
 * `X-Session-Id` value (≤ 128 characters, never UUID-validated); `?project_id` picks the project.
 * The audit-derived summaries (`GET /sessions`, `GET /sessions/{id}`) belong to the audit feature.
 */
@ApiTags('sessions')
@ApiSecurity('admin-key')
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get(':id/entity')
  @RequireScope('audit:read')
  @ApiOperation({ summary: 'The lifecycle row of a session' })
  @ApiOkResponse({ description: 'SessionEntity' })
  entity(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: SessionQueryDto,
  ): Promise<SessionEntityResponse> {
    return this.sessions.entity(principal, id, query);
  }

  @Patch(':id/status')
  @RequireScope('sessions:write')
  @ApiOperation({ summary: 'Pause, resume or complete a session' })
  @ApiOkResponse({ description: 'SessionEntity; 422 invalid status or transition from completed; 404' })
  status(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: SessionQueryDto,
    @Body() body: SessionStatusDto,
  ): Promise<SessionEntityResponse> {
    return this.sessions.setStatus(principal, id, query, body);
  }

  @Put(':id/spend-cap')
  @RequireScope('sessions:write')
  @ApiOperation({ summary: 'Set (or with null remove) a session spend cap' })
  @ApiOkResponse({ description: 'SessionEntity; 404' })
  spendCap(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: SessionQueryDto,
    @Body() body: SessionSpendCapDto,
  ): Promise<SessionEntityResponse> {
    return this.sessions.setSpendCap(principal, id, query, body);
  }
}
