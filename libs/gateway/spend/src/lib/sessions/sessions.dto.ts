import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsDefined, IsOptional, IsString } from 'class-validator';

/** `?project_id` of the session routes (default: the default project). */
export class SessionQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  project_id?: string;
}

/** `PATCH /sessions/{id}/status`. */
export class SessionStatusDto {
  @ApiProperty({ enum: ['active', 'paused', 'completed'] })
  @IsDefined()
  status!: unknown;
}

/** `PUT /sessions/{id}/spend-cap`. */
export class SessionSpendCapDto {
  @ApiProperty({ example: '2.50', nullable: true, description: 'USD (number or decimal string, ≥ 0); null removes the cap' })
  @Allow()
  spend_cap_usd?: unknown;
}
