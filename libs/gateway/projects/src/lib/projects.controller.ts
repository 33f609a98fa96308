import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ProjectRef, ProjectSummary, PurgeProjectResponse } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ProjectsService } from './projects.service';
import { NameDto, ProjectRefDto, ProjectSummaryDto, PurgeProjectResponseDto } from './projects.dto';

/** `/api/v1/projects` (identity.md §8): the caller's organisation's projects. */
@ApiTags('projects')
@ApiSecurity('admin-key')
@Controller('projects')
export class ProjectsController {
  constructor(private readonly projects: ProjectsService) {}

  @Get()
  @RequireScope('projects:read')
  @ApiOkResponse({ type: ProjectSummaryDto, isArray: true, description: "The caller's organisation's projects" })
  list(@CurrentPrincipal() principal: Principal): Promise<ProjectSummary[]> {
    return this.projects.list(principal);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('projects:write')
  @ApiCreatedResponse({ type: ProjectRefDto, description: '409 when the name is taken in the organisation' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: NameDto): Promise<ProjectRef> {
    return this.projects.create(principal, body.name);
  }

  @Put(':id')
  @RequireScope('projects:write')
  @ApiOkResponse({ type: ProjectRefDto, description: '404 unknown; 409 name taken' })
  rename(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: NameDto): Promise<ProjectRef> {
    return this.projects.rename(principal, id, body.name);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('projects:write', { adminOnly: true })
  @ApiNoContentResponse({ description: '400 default project; 404; 409 while it holds tokens, credentials, policies or services' })
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.projects.delete(principal, id);
  }

  @Post(':id/purge')
  @HttpCode(200)
  @RequireScope('projects:write', { adminOnly: true })
  @ApiOkResponse({
    type: PurgeProjectResponseDto,
    description: 'Irreversibly deletes audit records, sessions, approvals, notifications, usage rows and PII vault entries',
  })
  purge(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<PurgeProjectResponse> {
    return this.projects.purge(principal, id);
  }
}
