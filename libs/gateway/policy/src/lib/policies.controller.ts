import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type {
  CreatePolicyResponse,
  DeletePolicyResponse,
  Policy,
  PolicyVersion,
  UpdatePolicyResponse,
  ValidatePolicyResponse,
} from '@ailink/shared-contracts';
import { CurrentPrincipal, RequireScope, type Principal } from '@ailink/gateway-core';
import { ListPoliciesQueryDto } from './policies.dto';
import { PoliciesService } from './policies.service';

const POLICY_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'rules'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    mode: { type: 'string', enum: ['enforce', 'shadow'], default: 'enforce' },
    phase: { type: 'string', enum: ['pre', 'post'], default: 'pre' },
    rules: {
      type: 'array',
      maxItems: 200,
      items: { type: 'object', properties: { when: { type: 'object' }, then: {}, async_check: { type: 'boolean' } }, required: ['then'] },
    },
    retry: { type: 'object', nullable: true },
    buffer_streaming_for_post_flight: { type: 'boolean', default: false },
    project_id: { type: 'string', format: 'uuid' },
  },
};

/**
 * `/api/v1/policies` (management-api.md "Policies"). Bodies are policy documents, validated
 * strictly by the service (every problem → 422 `validation_error` with its JSON path).
 */
@ApiTags('policies')
@ApiSecurity('admin-key')
@Controller('policies')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Get()
  @RequireScope('policies:read')
  @ApiOperation({ summary: 'List policies of a project, newest first' })
  @ApiOkResponse({ description: '[Policy]' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListPoliciesQueryDto): Promise<Policy[]> {
    return this.policies.list(principal, query);
  }

  @Post()
  @HttpCode(201)
  @RequireScope('policies:write')
  @ApiOperation({ summary: 'Create a policy (version 1)' })
  @ApiBody({ schema: POLICY_BODY })
  @ApiCreatedResponse({ description: '{id, name, message: "Policy created"}; 409 name clash; 422 validation_error' })
  create(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<CreatePolicyResponse> {
    return this.policies.create(principal, body);
  }

  @Post('validate')
  @HttpCode(200)
  @RequireScope('policies:read')
  @ApiOperation({ summary: 'Validate a policy document without storing it' })
  @ApiBody({ schema: POLICY_BODY })
  @ApiOkResponse({ description: '{valid: true}; 422 validation_error with every problem' })
  validate(@CurrentPrincipal() principal: Principal, @Body() body: unknown): Promise<ValidatePolicyResponse> {
    return this.policies.validate(principal, body);
  }

  @Get(':id')
  @RequireScope('policies:read')
  @ApiOperation({ summary: 'Get a policy' })
  @ApiOkResponse({ description: 'Policy' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<Policy> {
    return this.policies.get(principal, id);
  }

  @Patch(':id')
  @RequireScope('policies:write')
  @ApiOperation({ summary: 'Update a policy (partial; the merged document is validated; writes a new version)' })
  @ApiBody({ schema: { ...POLICY_BODY, required: [] } })
  @ApiOkResponse({ description: '{id, name, message: "Policy updated"}; 404; 409; 422' })
  update(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown): Promise<UpdatePolicyResponse> {
    return this.policies.update(principal, id, body);
  }

  /** The SDKs also send PUT; it is the same partial update. */
  @Put(':id')
  @RequireScope('policies:write')
  @ApiOperation({ summary: 'Update a policy (same as PATCH)' })
  @ApiBody({ schema: { ...POLICY_BODY, required: [] } })
  @ApiOkResponse({ description: '{id, name, message: "Policy updated"}; 404; 409; 422' })
  replace(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: unknown): Promise<UpdatePolicyResponse> {
    return this.policies.update(principal, id, body);
  }

  @Delete(':id')
  @RequireScope('policies:write')
  @ApiOperation({ summary: 'Soft-delete a policy and detach it from every token' })
  @ApiOkResponse({ description: '{id, deleted: true}' })
  delete(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DeletePolicyResponse> {
    return this.policies.delete(principal, id);
  }

  @Get(':id/versions')
  @RequireScope('policies:read')
  @ApiOperation({ summary: 'Version history, newest first' })
  @ApiOkResponse({ description: '[{id, policy_id, version, name, mode, phase, rules, retry, changed_by, created_at}]' })
  versions(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<PolicyVersion[]> {
    return this.policies.versions(principal, id);
  }
}
