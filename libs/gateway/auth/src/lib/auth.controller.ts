import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthMethod, RoleName, WhoAmIResponse } from '@ailink/shared-contracts';
import { Authenticated, CurrentPrincipal, type Principal, type Role } from '@ailink/gateway-core';

class WhoAmIDto implements WhoAmIResponse {
  @ApiProperty({ format: 'uuid' }) org_id!: string;
  @ApiProperty({ nullable: true, type: String }) user_id!: string | null;
  @ApiProperty({ enum: ['SuperAdmin', 'Admin', 'Member', 'ReadOnly'] }) role!: RoleName;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ enum: ['admin_key', 'api_key', 'oidc', 'session'] }) auth_method!: AuthMethod;
  @ApiPropertyOptional() key_id?: string;
  @ApiPropertyOptional() email?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Set when the key acts for a team' }) team_id?: string;
}

const ROLE_NAMES: Record<Role, RoleName> = { superadmin: 'SuperAdmin', admin: 'Admin', member: 'Member', readonly: 'ReadOnly' };

@ApiTags('auth')
@ApiSecurity('admin-key')
@Controller('auth')
export class AuthController {
  @Get('whoami')
  @Authenticated()
  @ApiOkResponse({ type: WhoAmIDto })
  whoami(@CurrentPrincipal() principal: Principal): WhoAmIResponse {
    const body: WhoAmIResponse = {
      org_id: principal.orgId,
      user_id: principal.userId,
      role: ROLE_NAMES[principal.role],
      scopes: [...principal.scopes],
      auth_method: principal.authMethod,
    };
    if (principal.keyId) body.key_id = principal.keyId;
    if (principal.email) body.email = principal.email;
    if (principal.teamId) body.team_id = principal.teamId;
    return body;
  }
}
