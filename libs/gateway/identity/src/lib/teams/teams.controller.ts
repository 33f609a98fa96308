import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Team, TeamMember, TeamSpendRow } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { AddTeamMemberDto, CreateTeamDto, UpdateTeamDto } from './teams.dto';
import { TeamsService } from './teams.service';

/** `/api/v1/teams` (management-api.md "Model aliases, access groups, teams"; identity.md §6). */
@ApiTags('teams')
@ApiSecurity('admin-key')
@Controller('teams')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Get()
  @RequireScope('tokens:read')
  @ApiOperation({ summary: 'List the organisation’s teams, sorted by name' })
  @ApiOkResponse({ description: '[Team]' })
  list(@CurrentPrincipal() principal: Principal): Promise<Team[]> {
    return this.teams.list(principal);
  }

  @Post()
  @HttpCode(200)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Create a team' })
  @ApiOkResponse({ description: 'Team; 400 missing name; 409 name clash; 422 bad budget, models or tags' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateTeamDto): Promise<Team> {
    return this.teams.create(principal, body);
  }

  @Put(':id')
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Update a team (partial)' })
  @ApiOkResponse({ description: 'Team; 404' })
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateTeamDto): Promise<Team> {
    return this.teams.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Delete a team (its tokens leave it)' })
  @ApiNoContentResponse({ description: 'Deleted; 404 unknown' })
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.teams.delete(principal, id);
  }

  @Get(':id/members')
  @RequireScope('tokens:read')
  @ApiOperation({ summary: 'List a team’s members' })
  @ApiOkResponse({ description: '[Member]' })
  members(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TeamMember[]> {
    return this.teams.members(principal, id);
  }

  @Post(':id/members')
  @HttpCode(200)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Add a user to a team' })
  @ApiOkResponse({ description: 'Member; 404 unknown team; 409 already a member; 422 unknown user' })
  addMember(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: AddTeamMemberDto): Promise<TeamMember> {
    return this.teams.addMember(principal, id, body);
  }

  @Delete(':id/members/:user_id')
  @HttpCode(204)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Remove a user from a team' })
  @ApiNoContentResponse({ description: 'Removed; 404' })
  async removeMember(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Param('user_id') userId: string): Promise<void> {
    await this.teams.removeMember(principal, id, userId);
  }

  @Get(':id/spend')
  @RequireScope('tokens:read')
  @ApiOperation({ summary: 'The team’s last 30 daily spend rows, newest first' })
  @ApiOkResponse({ description: '[{team_id, period, total_requests, total_tokens_used, total_spend_usd, updated_at}]' })
  spend(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TeamSpendRow[]> {
    return this.teams.spend(principal, id);
  }
}
