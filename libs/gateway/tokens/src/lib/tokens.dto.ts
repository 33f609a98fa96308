import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { LOG_LEVEL_NAMES, type LogLevelName } from '@ailink/shared-contracts';

/** Query-string booleans: `true`/`1` and `false`/`0` (spec README, "Conventions"); anything else fails `IsBoolean`. */
export function queryBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}

/** Query-string integers; anything that is not all digits fails `IsInt`. */
export function queryInteger({ value }: { value: unknown }): unknown {
  return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
}

export class UpstreamDto {
  @ApiProperty({ example: 'https://api.openai.com' })
  @IsString()
  url!: string;

  @ApiPropertyOptional({ default: 100, description: 'Relative weight within the priority tier; > 0' })
  @IsOptional()
  @IsNumber()
  weight?: number | null;

  @ApiPropertyOptional({ default: 1, description: 'Lower values are tried first' })
  @IsOptional()
  @IsInt()
  priority?: number | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: "Overrides the token's credential for this target" })
  @IsOptional()
  @IsUUID()
  credential_id?: string | null;
}

/** `POST /tokens` (management-api.md "Tokens"). */
export class CreateTokenDto {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'https://api.openai.com', description: 'http or https (else 400)' })
  @IsString()
  upstream_url!: string;

  @ApiPropertyOptional({ format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  credential_id?: string | null;

  @ApiPropertyOptional({ format: 'uuid', description: 'Defaults to the default project' })
  @IsOptional()
  @IsString()
  project_id?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  policy_ids?: string[] | null;

  @ApiPropertyOptional({ minimum: 0, maximum: 2, default: 1, description: '0 metadata, 1 redacted, 2 full' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2)
  log_level?: number | null;

  @ApiPropertyOptional({ enum: LOG_LEVEL_NAMES, description: 'Wins over log_level' })
  @IsOptional()
  @IsIn(LOG_LEVEL_NAMES)
  log_level_name?: LogLevelName | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  @IsOptional()
  @IsObject()
  circuit_breaker?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: [UpstreamDto] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => UpstreamDto)
  upstreams?: UpstreamDto[] | null;

  @ApiPropertyOptional({ description: 'Shorthand for an extra upstream {url, weight: 100, priority: 2}' })
  @IsOptional()
  @IsString()
  fallback_url?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  allowed_models?: string[] | null;

  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @IsUUID('all', { each: true })
  allowed_model_group_ids?: string[] | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  team_id?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  tags?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  scopes?: string[] | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, description: 'Must be in the future' })
  @IsOptional()
  @IsString()
  @IsISO8601()
  expires_at?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  mcp_allowed_tools?: string[] | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  mcp_blocked_tools?: string[] | null;
}

/** `PATCH`/`PUT /tokens/{id}`: any create field except `project_id` (partial), plus `suspended`. */
export class UpdateTokenDto extends PartialType(OmitType(CreateTokenDto, ['project_id'] as const)) {
  @ApiPropertyOptional({ description: 'true suspends (403 token_suspended on the proxy), false lifts the suspension' })
  @IsOptional()
  @IsBoolean()
  suspended?: boolean | null;

  @ApiPropertyOptional({ maxLength: 500, description: 'Recorded with suspended: true' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  suspended_reason?: string | null;
}

/** `GET /tokens` query. */
export class ListTokensQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  project_id?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  team_id?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  include_inactive?: boolean;

  @ApiPropertyOptional({ default: 1000, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(queryInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Transform(queryInteger)
  @IsInt()
  @Min(0)
  offset?: number;
}
