import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ModelAccessGroup } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { CreateModelAccessGroupDto, ModelAccessGroupsQueryDto, UpdateModelAccessGroupDto } from './model-access-groups.dto';
import { ModelAccessGroupsService } from './model-access-groups.service';

/** `/api/v1/model-access-groups` (management-api.md "Model aliases, access groups, teams"). */
@ApiTags('model-access-groups')
@ApiSecurity('admin-key')
@Controller('model-access-groups')
export class ModelAccessGroupsController {
  constructor(private readonly groups: ModelAccessGroupsService) {}

  @Get()
  @RequireScope('tokens:read')
  @ApiOperation({ summary: 'List the project’s model access groups, sorted by name' })
  @ApiOkResponse({ description: '[Group]' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ModelAccessGroupsQueryDto): Promise<ModelAccessGroup[]> {
    return this.groups.list(principal, query);
  }

  @Post()
  @HttpCode(200)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Create a model access group' })
  @ApiOkResponse({ description: 'Group; 400 missing name or models not a string array; 409 name clash; 422 bad pattern' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateModelAccessGroupDto): Promise<ModelAccessGroup> {
    return this.groups.create(principal, body);
  }

  @Put(':id')
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Update a model access group (partial)' })
  @ApiOkResponse({ description: 'Group; 404' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: UpdateModelAccessGroupDto,
  ): Promise<ModelAccessGroup> {
    return this.groups.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('tokens:write')
  @ApiOperation({ summary: 'Delete a model access group' })
  @ApiNoContentResponse({ description: 'Deleted; 404 unknown' })
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.groups.delete(principal, id);
  }
}
