import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AUDIT_NEXT_CURSOR_HEADER, type AdminAuditEntry } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { AdminAuditListQueryDto } from './admin-audit.dto';
import { AdminAuditService } from './admin-audit.service';

/** `GET /api/v1/audit/admin` (management-api.md "Admin audit trail") and one entry by id. */
@ApiTags('audit')
@ApiSecurity('admin-key')
@Controller('audit/admin')
export class AdminAuditController {
  constructor(private readonly adminAudit: AdminAuditService) {}

  @Get()
  @RequireScope('audit:read')
  @ApiOperation({ summary: 'Management API writes of the caller’s organisation, newest first' })
  @ApiOkResponse({ description: '[AdminAuditEntry]; X-Next-Cursor names the next page (absent on the last)' })
  @ApiHeader({ name: 'X-Next-Cursor', required: false, description: 'Response header: cursor of the next page' })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AdminAuditListQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AdminAuditEntry[]> {
    const page = await this.adminAudit.list(principal, query);
    if (page.nextCursor) reply.header(AUDIT_NEXT_CURSOR_HEADER, page.nextCursor);
    return page.items;
  }

  @Get(':id')
  @RequireScope('audit:read')
  @ApiOperation({ summary: 'One admin audit entry (404 when it belongs to another organisation)' })
  @ApiOkResponse({ description: 'AdminAuditEntry' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<AdminAuditEntry> {
    return this.adminAudit.get(principal, id);
  }
}
