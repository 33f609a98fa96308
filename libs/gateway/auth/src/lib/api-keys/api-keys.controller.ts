import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ApiKey, CreateApiKeyResponse } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ApiKeyDto, CreateApiKeyDto, CreateApiKeyResponseDto, ListApiKeysQueryDto } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

/** `/api/v1/auth/keys` (identity.md §3): management API keys of the caller's organisation. */
@ApiTags('auth')
@ApiSecurity('admin-key')
@Controller('auth/keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get()
  @RequireScope('keys:manage')
  @ApiOkResponse({ type: ApiKeyDto, isArray: true, description: 'Newest first; never the key or its hash' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListApiKeysQueryDto): Promise<ApiKey[]> {
    return this.keys.list(principal, query);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('keys:manage')
  @ApiCreatedResponse({ type: CreateApiKeyResponseDto, description: 'The key is shown only here; 403 role_escalation; 422' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateApiKeyDto): Promise<CreateApiKeyResponse> {
    return this.keys.create(principal, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('keys:manage')
  @ApiNoContentResponse({ description: 'Revoked; 403 admin key by a non-admin; 404; 422 last_admin_key' })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.keys.revoke(principal, id);
  }
}
