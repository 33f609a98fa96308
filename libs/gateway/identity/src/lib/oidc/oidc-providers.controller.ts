import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { OidcProvider, TestOidcProviderResponse } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, SkipAdminAudit, type Principal } from '@ailink/gateway-core';
import { CreateOidcProviderDto, TestOidcProviderDto, UpdateOidcProviderDto } from './oidc-providers.dto';
import { OidcProvidersService } from './oidc-providers.service';

/** `/api/v1/oidc/providers` (management-api.md "Identity"; identity.md §4): admin-only + `keys:manage`. */
@ApiTags('oidc')
@ApiSecurity('admin-key')
@Controller('oidc/providers')
export class OidcProvidersController {
  constructor(private readonly providers: OidcProvidersService) {}

  @Get()
  @RequireScope('keys:manage', { adminOnly: true })
  @ApiOperation({ summary: 'List the organisation’s OIDC providers (never a client secret)' })
  @ApiOkResponse({ description: '[OidcProvider]' })
  list(@CurrentPrincipal() principal: Principal): Promise<OidcProvider[]> {
    return this.providers.list(principal);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('keys:manage', { adminOnly: true })
  @ApiOperation({ summary: 'Add an OIDC provider (discovery is fetched when jwks_uri is absent)' })
  @ApiCreatedResponse({ description: 'OidcProvider; 409 issuer already configured; 422 discovery unreachable or bad mapping' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateOidcProviderDto): Promise<OidcProvider> {
    return this.providers.create(principal, body);
  }

  @Post('test')
  @HttpCode(200)
  @SkipAdminAudit()
  @RequireScope('keys:manage', { adminOnly: true })
  @ApiOperation({ summary: 'Test connection: fetch an issuer’s discovery document (stores nothing)' })
  @ApiOkResponse({ description: '{ok, issuer?, jwks_uri?, authorization_endpoint?, error?}' })
  test(@Body() body: TestOidcProviderDto): Promise<TestOidcProviderResponse> {
    return this.providers.test(body);
  }

  @Get(':id')
  @RequireScope('keys:manage', { adminOnly: true })
  @ApiOperation({ summary: 'One OIDC provider' })
  @ApiOkResponse({ description: 'OidcProvider' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OidcProvider> {
    return this.providers.get(principal, id);
  }

  @Patch(':id')
  @RequireScope('keys:manage', { adminOnly: true })
  @ApiOperation({ summary: 'Update an OIDC provider (partial; client_secret null removes it)' })
  @ApiOkResponse({ description: 'OidcProvider' })
  patch(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateOidcProviderDto): Promise<OidcProvider> {
    return this.providers.update(principal, id, body);
  }

  @Put(':id')
  @RequireScope('keys:manage', { adminOnly: true })
  @ApiOperation({ summary: 'Update an OIDC provider (partial, like PATCH)' })
  @ApiOkResponse({ description: 'OidcProvider' })
  put(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateOidcProviderDto): Promise<OidcProvider> {
    return this.providers.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('keys:manage', { adminOnly: true })
  @ApiOperation({ summary: 'Remove an OIDC provider' })
  @ApiNoContentResponse({ description: 'Removed; 404' })
  async delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.providers.delete(principal, id);
  }
}
