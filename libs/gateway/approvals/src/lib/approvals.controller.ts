import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Approval, ApprovalDecisionResponse } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import { ApprovalStreamQueryDto, DecideApprovalDto, ListApprovalsQueryDto } from './approvals.dto';
import { ApprovalsService } from './approvals.service';
import { ApprovalsStreamService } from './approvals-stream.service';

/** `/api/v1/approvals` (management-api.md "Approvals, audit, sessions"). */
@ApiTags('approvals')
@ApiSecurity('admin-key')
@Controller('approvals')
export class ApprovalsController {
  constructor(
    private readonly approvals: ApprovalsService,
    private readonly streams: ApprovalsStreamService,
    private readonly scope: ProjectScope,
  ) {}

  @Get()
  @RequireScope('approvals:read')
  @ApiOkResponse({ description: '[Approval], newest first' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListApprovalsQueryDto): Promise<Approval[]> {
    return this.approvals.list(principal, query);
  }

  @Get('stream')
  @RequireScope('approvals:read')
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'Server-sent events `approval_requested` and `approval_decided` (data: the webhook event envelope) of the project; `: heartbeat` comments',
  })
  async stream(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ApprovalStreamQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const projectId = await this.scope.resolve(principal, query.project_id);
    reply.hijack();
    this.streams.serve(request.raw, reply.raw, reply.getHeaders(), projectId);
  }

  @Get(':id')
  @RequireScope('approvals:read')
  @ApiOkResponse({ description: 'Approval' })
  @ApiNotFoundResponse({ description: 'Unknown, or in another organisation' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<Approval> {
    return this.approvals.get(principal, id);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @RequireScope('approvals:write')
  @ApiOkResponse({ description: '{id, status, updated}; updated is false when the approval was no longer pending' })
  @ApiBadRequestResponse({ description: 'decision is not approved/approve/rejected/reject' })
  @ApiNotFoundResponse({ description: 'Unknown, or in another organisation' })
  decision(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: DecideApprovalDto,
  ): Promise<ApprovalDecisionResponse> {
    return this.approvals.decide(principal, id, body);
  }

  @Post(':id/decide')
  @HttpCode(200)
  @RequireScope('approvals:write')
  @ApiOkResponse({ description: 'Same as /decision' })
  decide(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: DecideApprovalDto,
  ): Promise<ApprovalDecisionResponse> {
    return this.approvals.decide(principal, id, body);
  }
}
