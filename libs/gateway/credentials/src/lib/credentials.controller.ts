import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type {
  CreateCredentialResponse,
  CredentialMeta,
  DeleteCredentialResponse,
  RotateCredentialResponse,
} from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import {
  CreateCredentialDto,
  CreateCredentialResponseDto,
  CredentialMetaDto,
  DeleteCredentialResponseDto,
  ListCredentialsQueryDto,
  RotateCredentialDto,
  RotateCredentialResponseDto,
  UpdateCredentialDto,
} from './credentials.dto';
import { CredentialsService } from './credentials.service';

/** Provider credentials (management-api.md "Credentials"). The secret is write-only. */
@ApiTags('credentials')
@ApiSecurity('admin-key')
@Controller('credentials')
export class CredentialsController {
  constructor(private readonly credentials: CredentialsService) {}

  @Get()
  @RequireScope('credentials:read')
  @ApiOkResponse({ type: CredentialMetaDto, isArray: true })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListCredentialsQueryDto): Promise<CredentialMeta[]> {
    return this.credentials.list(principal, query.project_id);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('credentials:write')
  @ApiCreatedResponse({ type: CreateCredentialResponseDto, description: '400 bad mode/header; 409 name clash' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateCredentialDto): Promise<CreateCredentialResponse> {
    return this.credentials.create(principal, body);
  }

  @Get(':id')
  @RequireScope('credentials:read')
  @ApiOkResponse({ type: CredentialMetaDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<CredentialMeta> {
    return this.credentials.get(principal, id);
  }

  @Patch(':id')
  @RequireScope('credentials:write')
  @ApiOkResponse({ type: CredentialMetaDto })
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateCredentialDto): Promise<CredentialMeta> {
    return this.credentials.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(200)
  @RequireScope('credentials:write')
  @ApiOkResponse({ type: DeleteCredentialResponseDto, description: 'Soft delete' })
  remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeleteCredentialResponse> {
    return this.credentials.remove(principal, id);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @RequireScope('credentials:write')
  @ApiOkResponse({ type: RotateCredentialResponseDto, description: 'With `secret`/`api_key`: replacement; without: DEK refresh' })
  rotate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: RotateCredentialDto,
  ): Promise<RotateCredentialResponse> {
    return this.credentials.rotate(principal, id, body ?? {});
  }
}
