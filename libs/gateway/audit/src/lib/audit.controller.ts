import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiProduces, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_NEXT_CURSOR_HEADER, type AuditDetail, type AuditSummary } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { AuditListQueryDto, AuditStreamQueryDto } from './audit.dto';
import { AuditService } from './audit.service';
import { AuditStreamService } from './audit-stream.service';

@ApiTags('audit')
@ApiSecurity('admin-key')
@Controller('audit')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    private readonly streams: AuditStreamService,
  ) {}

  @Get()
  @RequireScope('audit:read')
  @ApiOkResponse({ description: 'AuditSummary records, newest first; X-Next-Cursor names the next page (absent on the last)' })
  @ApiHeader({ name: 'X-Next-Cursor', required: false, description: 'Response header: cursor of the next page' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AuditListQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AuditSummary[]> {
    const page = await this.audit.list(principal, query);
    if (page.nextCursor) reply.header(AUDIT_NEXT_CURSOR_HEADER, page.nextCursor);
    return page.items;
  }

  @Get('stream')
  @RequireScope('audit:read')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'Server-sent events: `event: audit` with a JSON array of new AuditSummary records; `: heartbeat` comments',
  })
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AuditStreamQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const filter = await this.audit.streamFilter(principal, query);
    await this.streams.ready();
    reply.hijack();
    await this.streams.serve(request.raw, reply.raw, reply.getHeaders(), filter);
  }

  @Get(':id')
  @RequireScope('audit:read')
  @ApiQuery({ name: 'project_id', required: false, description: 'Restrict the lookup to this project' })
  @ApiOkResponse({ description: 'AuditDetail, with bodies and headers as the log level kept them' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Query('project_id') projectId?: string): Promise<AuditDetail> {
    return this.audit.get(principal, id, projectId);
  }
}
