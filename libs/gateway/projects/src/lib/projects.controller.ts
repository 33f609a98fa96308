import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ProjectSummary } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ProjectsService } from './projects.service';
import { ProjectSummaryDto } from './projects.dto';

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
}
