import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ProjectBudget, TokenSpendDay, TokenSpendStatus } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { PutProjectBudgetDto, PutTokenSpendCapDto, SpendHistoryQueryDto } from './spend.dto';
import { SpendService } from './spend.service';

/**
 * Token spend caps and reporting (`/api/v1/tokens/{id}/spend…`; `{id}` is the public id or the bearer
 * secret, never UUID-validated) and project budgets (`/api/v1/projects/{id}/budget`).
 */
@ApiTags('spend')
@ApiSecurity('admin-key')
@Controller()
export class SpendController {
  constructor(private readonly spend: SpendService) {}

  @Get('tokens/:id/spend')
  @RequireScope('tokens:read')
  @ApiOperation({ summary: 'Caps and current spend of a token' })
  @ApiOkResponse({
    description: '{daily_limit_usd, monthly_limit_usd, lifetime_limit_usd, current_daily_usd, current_monthly_usd, current_lifetime_usd}',
  })
  status(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TokenSpendStatus> {
    return this.spend.tokenStatus(principal, id);
  }

  @Put('tokens/:id/spend')
  @HttpCode(204)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Set a token spend cap for one period' })
  @ApiNoContentResponse({ description: 'Set; 422 invalid period or limit_usd ≤ 0' })
  async putCap(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: PutTokenSpendCapDto): Promise<void> {
    await this.spend.putTokenCap(principal, id, body);
  }

  @Delete('tokens/:id/spend/:period')
  @HttpCode(204)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Remove a token spend cap' })
  @ApiNoContentResponse({ description: 'Removed (idempotent)' })
  async deleteCap(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('period') period: string): Promise<void> {
    await this.spend.deleteTokenCap(principal, id, period);
  }

  @Get('tokens/:id/spend/history')
  @RequireScope('tokens:read')
  @ApiOperation({ summary: 'Daily spend of a token, oldest first, zero days included' })
  @ApiOkResponse({ description: '[{date, spend_usd, requests}]' })
  history(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: SpendHistoryQueryDto,
  ): Promise<TokenSpendDay[]> {
    return this.spend.tokenHistory(principal, id, query);
  }

  @Get('projects/:id/budget')
  @RequireScope('projects:read')
  @ApiOperation({ summary: 'A project budget with its current spend' })
  @ApiOkResponse({ description: '{project_id, warn_threshold_usd, hard_cap_usd, reset_period, current_usd, period_key}; 404 when none' })
  getBudget(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ProjectBudget> {
    return this.spend.getBudget(principal, id);
  }

  @Put('projects/:id/budget')
  @RequireScope('projects:write')
  @ApiOperation({ summary: 'Set a project budget' })
  @ApiOkResponse({ description: 'The budget' })
  putBudget(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: PutProjectBudgetDto): Promise<ProjectBudget> {
    return this.spend.putBudget(principal, id, body);
  }

  @Delete('projects/:id/budget')
  @HttpCode(204)
  @RequireScope('projects:write')
  @ApiOperation({ summary: 'Remove a project budget' })
  @ApiNoContentResponse({ description: 'Removed' })
  async deleteBudget(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.spend.deleteBudget(principal, id);
  }
}
