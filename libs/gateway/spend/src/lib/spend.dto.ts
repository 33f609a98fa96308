import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsDefined } from 'class-validator';

/** `PUT /tokens/{id}/spend`. `limit_usd` accepts a number or a decimal string (checked by the service). */
export class PutTokenSpendCapDto {
  @ApiProperty({ enum: ['daily', 'monthly', 'lifetime'] })
  @IsDefined()
  period!: unknown;

  @ApiProperty({ example: 5, description: 'USD, > 0 (number or decimal string)' })
  @IsDefined()
  limit_usd!: unknown;
}

/** `GET /tokens/{id}/spend/history`. */
export class SpendHistoryQueryDto {
  @ApiPropertyOptional({ default: 30, minimum: 1, maximum: 366 })
  @Allow()
  days?: string;
}

/** `PUT /projects/{id}/budget`. */
export class PutProjectBudgetDto {
  @ApiProperty({ example: '80.00', nullable: true, description: 'USD (number or decimal string, ≥ 0); null: no warning' })
  @Allow()
  warn_threshold_usd?: unknown;

  @ApiPropertyOptional({
    example: '100.00',
    nullable: true,
    description: 'USD (≥ 0; 0 blocks every priced request); absent/null: no hard cap',
  })
  @Allow()
  hard_cap_usd?: unknown;

  @ApiProperty({ enum: ['daily', 'weekly', 'monthly'] })
  @IsDefined()
  reset_period!: unknown;
}
