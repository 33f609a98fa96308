import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ADMIN_AUDIT_METHODS, type AdminAuditMethod } from '@ailink/shared-contracts';

/** Largest `limit` of `GET /audit/admin` (as `GET /audit`: 1–200, default 50). */
export const ADMIN_AUDIT_MAX_LIMIT = 200;
export const ADMIN_AUDIT_DEFAULT_LIMIT = 50;

/** Query of `GET /audit/admin`. Wrong types are 400; values of the right type that break a rule are 422. */
export class AdminAuditListQueryDto {
  @ApiPropertyOptional({ description: 'Exact actor: an API key id, a user id or admin_key' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'Exact resource kind, e.g. token, credential, service, project, api_key, team.member' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  resource_kind?: string;

  @ApiPropertyOptional({ description: 'Exact resource id (a token’s bearer secret is matched by its public id)' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  resource_id?: string;

  @ApiPropertyOptional({ enum: ADMIN_AUDIT_METHODS })
  @IsOptional()
  @IsIn(ADMIN_AUDIT_METHODS)
  method?: AdminAuditMethod;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only writes to resources of this project' })
  @IsOptional()
  @IsString()
  project_id?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Super-admin only: another organisation’s trail (404 for anyone else)' })
  @IsOptional()
  @IsString()
  org_id?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'RFC 3339, inclusive' })
  @IsOptional()
  @IsString()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'RFC 3339, exclusive' })
  @IsOptional()
  @IsString()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: ADMIN_AUDIT_MAX_LIMIT, default: ADMIN_AUDIT_DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(ADMIN_AUDIT_MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Not combined with cursor' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ description: 'The previous page’s X-Next-Cursor' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
