import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsIn, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { BUDGET_DURATIONS, TEAM_MEMBER_ROLES, type BudgetDuration, type TeamMemberRole } from '@ailink/shared-contracts';

/** `POST /teams` (missing `name` → 400; duplicate → 409). */
export class CreateTeamDto {
  @ApiProperty({ example: 'research', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ nullable: true, oneOf: [{ type: 'number' }, { type: 'string' }], example: '250.00' })
  @IsOptional()
  max_budget_usd?: number | string | null;

  @ApiPropertyOptional({ enum: BUDGET_DURATIONS, nullable: true, description: 'Budget period; none = monthly' })
  @IsOptional()
  @IsIn(BUDGET_DURATIONS)
  budget_duration?: BudgetDuration | null;

  @ApiPropertyOptional({ type: [String], nullable: true, description: 'Model globs; null = unrestricted, [] = none' })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  allowed_models?: string[] | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  tags?: Record<string, unknown> | null;
}

/** `PUT /teams/{id}` (partial; an explicit null clears a nullable field). */
export class UpdateTeamDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ nullable: true, oneOf: [{ type: 'number' }, { type: 'string' }] })
  @IsOptional()
  max_budget_usd?: number | string | null;

  @ApiPropertyOptional({ enum: BUDGET_DURATIONS, nullable: true })
  @IsOptional()
  @IsIn(BUDGET_DURATIONS)
  budget_duration?: BudgetDuration | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  allowed_models?: string[] | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  tags?: Record<string, unknown> | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  is_active?: boolean | null;
}

/** `POST /teams/{id}/members`. */
export class AddTeamMemberDto {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @IsUUID()
  user_id!: string;

  @ApiPropertyOptional({ enum: TEAM_MEMBER_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(TEAM_MEMBER_ROLES)
  role?: TeamMemberRole;
}
