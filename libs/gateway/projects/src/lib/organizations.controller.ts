import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { CreateOrganizationResponse, Organization } from '@ailink/shared-contracts';
import { RequireSuperAdmin } from '@ailink/gateway-core';
import { CreateOrganizationResponseDto, NameDto, OrganizationDto } from './projects.dto';
import { OrganizationsService } from './organizations.service';

/** `/api/v1/organizations` (management-api.md "Identity"): super-admin only. */
@ApiTags('organizations')
@ApiSecurity('admin-key')
@Controller('organizations')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get()
  @RequireSuperAdmin()
  @ApiOkResponse({ type: OrganizationDto, isArray: true })
  list(): Promise<Organization[]> {
    return this.organizations.list();
  }

  @Post()
  @HttpCode(201)
  @RequireSuperAdmin()
  @ApiCreatedResponse({ type: CreateOrganizationResponseDto, description: 'With its own default project; 409 when the name is taken' })
  create(@Body() body: NameDto): Promise<CreateOrganizationResponse> {
    return this.organizations.create(body.name);
  }
}
