import { Body, Controller, Delete, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { PricingRow } from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ListPricingQueryDto, PutPricingDto } from './pricing.dto';
import { PricingService } from './pricing.service';

/** `/api/v1/pricing` (management-api.md "Pricing, guardrails, PII"; vault-and-spend.md §4). */
@ApiTags('pricing')
@ApiSecurity('admin-key')
@Controller('pricing')
export class PricingController {
  constructor(private readonly pricing: PricingService) {}

  @Get()
  @RequireScope('pricing:read')
  @ApiOperation({ summary: 'Built-in prices and the organisation’s overrides' })
  @ApiOkResponse({
    description:
      '[{id, org_id (null = built-in), provider, model_pattern, input_per_m, output_per_m, cached_input_per_m, max_output_tokens, is_active, created_at, updated_at}]',
  })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListPricingQueryDto): Promise<PricingRow[]> {
    return this.pricing.list(principal, query);
  }

  @Put()
  @RequireScope('pricing:write')
  @ApiOperation({ summary: 'Upsert an override on (org, provider, model_pattern); built-in rows only by the superadmin' })
  @ApiOkResponse({ description: '{success: true, id}; 400 empty provider/pattern; 422 invalid pattern or negative price' })
  put(@CurrentPrincipal() principal: Principal, @Body() body: PutPricingDto): Promise<{ success: true; id: string }> {
    return this.pricing.put(principal, body);
  }

  @Delete(':id')
  @RequireScope('pricing:write')
  @ApiOperation({ summary: 'Soft-delete a price row' })
  @ApiOkResponse({ description: '{id, deleted: true}' })
  remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<{ id: string; deleted: true }> {
    return this.pricing.remove(principal, id);
  }
}
