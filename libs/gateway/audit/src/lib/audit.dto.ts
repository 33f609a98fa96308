import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { AUDIT_POLICY_RESULTS, type AuditPolicyResult } from '@ailink/shared-contracts';

/** Largest `limit` of `GET /audit` (audit-and-observability.md §5: 1–200). */
export const AUDIT_MAX_LIMIT = 200;
export const AUDIT_DEFAULT_LIMIT = 50;

/**
 * Filters shared by `GET /audit` and `GET /audit/stream`. Wrong types (a repeated parameter, a
 * non-number limit) are 400; values of the right type that break a rule are 422.
 */
export class AuditStreamQueryDto {
  @ApiPropertyOptional({ description: 'Public id (tok_…) or the bearer secret' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  token_id?: string;

  @ApiPropertyOptional({ description: 'Exact upstream status (503) or a class (2xx, 4xx, 5xx)', example: '5xx' })
  @IsOptional()
  @IsString()
  status?: string;

  @ApiPropertyOptional({ description: 'Alias of status' })
  @IsOptional()
  @IsString()
  upstream_status?: string;

  @ApiPropertyOptional({ enum: AUDIT_POLICY_RESULTS })
  @IsOptional()
  @IsIn(AUDIT_POLICY_RESULTS)
  policy_result?: AuditPolicyResult;

  @ApiPropertyOptional({ description: 'Model or model alias, exact' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  model?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  session_id?: string;

  @ApiPropertyOptional({ example: 'POST' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  method?: string;

  @ApiPropertyOptional({ description: 'Path prefix, e.g. /v1/chat' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  path?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Defaults to the default project' })
  @IsOptional()
  @IsString()
  project_id?: string;
}

export class AuditListQueryDto extends AuditStreamQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'RFC 3339, inclusive' })
  @IsOptional()
  @IsString()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'RFC 3339, exclusive' })
  @IsOptional()
  @IsString()
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: AUDIT_MAX_LIMIT, default: AUDIT_DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(AUDIT_MAX_LIMIT)
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
