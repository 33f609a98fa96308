import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString } from 'class-validator';

/** Query-string booleans: `true`/`1` and `false`/`0` (spec README, "Conventions"); anything else fails `IsBoolean`. */
export function queryBoolean({ value }: { value: unknown }): unknown {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}

/** `GET /policies` query. Policy bodies are not DTOs: they are validated strictly by the policy compiler. */
export class ListPoliciesQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  project_id?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean()
  include_inactive?: boolean;
}
