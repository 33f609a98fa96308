import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { CircuitBreakerConfig, CreateTokenResponse, Token } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { CreateTokenDto, ListTokensQueryDto, UpdateTokenDto } from './tokens.dto';
import { TokensService } from './tokens.service';

/**
 * `/api/v1/tokens` (management-api.md "Tokens"). `{id}` is the public id `tok_…` or the bearer
 * secret; it is never UUID-validated (an unknown id is 404).
 */
@ApiTags('tokens')
@ApiSecurity('admin-key')
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @RequireScope('tokens:read')
  @ApiOkResponse({ description: '[Token], newest first' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListTokensQueryDto): Promise<Token[]> {
    return this.tokens.list(principal, query);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('tokens:write')
  @ApiCreatedResponse({ description: '{token_id (the bearer secret, shown once), id, masked, name, message}' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: CreateTokenDto): Promise<CreateTokenResponse> {
    return this.tokens.create(principal, body);
  }

  @Get(':id')
  @RequireScope('tokens:read')
  @ApiOkResponse({ description: 'Token' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<Token> {
    return this.tokens.get(principal, id);
  }

  @Patch(':id')
  @RequireScope('tokens:write')
  @ApiOkResponse({ description: 'Token' })
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateTokenDto): Promise<Token> {
    return this.tokens.update(principal, id, body);
  }

  /** The SDKs also send PUT; it is the same partial update. */
  @Put(':id')
  @RequireScope('tokens:write')
  @ApiOkResponse({ description: 'Token (partial update, same as PATCH)' })
  replace(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: UpdateTokenDto): Promise<Token> {
    return this.tokens.update(principal, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScope('tokens:write')
  @ApiNoContentResponse({ description: 'Revoked (idempotent)' })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.tokens.revoke(principal, id);
  }

  @Get(':id/circuit-breaker')
  @RequireScope('tokens:read')
  @ApiOkResponse({ description: 'The stored config, or the defaults' })
  circuitBreaker(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<CircuitBreakerConfig> {
    return this.tokens.getCircuitBreaker(principal, id);
  }

  @Patch(':id/circuit-breaker')
  @RequireScope('tokens:write')
  @ApiBody({ schema: { type: 'object', additionalProperties: true }, description: 'snake_case keys or their camelCase aliases' })
  @ApiOkResponse({ description: 'The stored config; 422 invalid_config when out of range' })
  updateCircuitBreaker(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<CircuitBreakerConfig> {
    return this.tokens.updateCircuitBreaker(principal, id, body);
  }
}
