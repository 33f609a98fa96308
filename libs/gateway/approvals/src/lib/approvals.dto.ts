import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { APPROVAL_DECISIONS, APPROVAL_STATUSES, type ApprovalStatus } from '@ailink/shared-contracts';

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

/** `GET /approvals` query (management-api.md "Approvals"). */
export class ListApprovalsQueryDto {
  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @IsOptional()
  @IsIn(APPROVAL_STATUSES as unknown as string[], { message: `status must be one of ${APPROVAL_STATUSES.join(', ')}` })
  status?: ApprovalStatus;

  @ApiPropertyOptional({ description: 'Public token id (tok_…) or the bearer secret' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  token_id?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'Defaults to the default project' })
  @IsOptional()
  @IsString()
  project_id?: string;
}

/** `GET /approvals/stream` query. */
export class ApprovalStreamQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Defaults to the default project' })
  @IsOptional()
  @IsString()
  project_id?: string;
}

/** `POST /approvals/{id}/decision` (also `/decide`). The decision value is checked by the service (400). */
export class DecideApprovalDto {
  @ApiProperty({ enum: APPROVAL_DECISIONS })
  @IsString()
  decision!: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  comment?: string | null;
}
