import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { DeleteServiceResponse, Service } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { CreateServiceDto, ListServicesQueryDto, UpdateServiceDto } from './services.dto';
import { ServicesService } from './services.service';

/** `/api/v1/services` (management-api.md "Services"). */
@ApiTags('services')
@ApiSecurity('admin-key')
@Controller('services')
export class ServicesController {
  constructor(private readonly services: ServicesService) {}

  @Get()
  @RequireScope('services:read')
  @ApiOkResponse({ description: '[Service]' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListServicesQueryDto): Promise<Service[]> {
    return this.services.list(principal, query);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('services:write')
  @ApiCreatedResponse({ description: 'Service; 400 unparseable/non-http URL; 409 name clash; 422 SSRF' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateServiceDto): Promise<Service> {
    return this.services.create(principal, body);
  }

  @Get(':id')
  @RequireScope('services:read')
  @ApiOkResponse({ description: 'Service' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<Service> {
    return this.services.get(principal, id);
  }

  @Patch(':id')
  @RequireScope('services:write')
  @ApiOkResponse({ description: 'Service; 422 SSRF' })
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateServiceDto): Promise<Service> {
    return this.services.update(principal, id, body);
  }

  @Delete(':id')
  @RequireScope('services:write')
  @ApiOkResponse({ description: '{deleted: true}' })
  delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeleteServiceResponse> {
    return this.services.delete(principal, id);
  }
}
