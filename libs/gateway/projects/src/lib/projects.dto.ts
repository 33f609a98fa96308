import { ApiProperty } from '@nestjs/swagger';
import type { ProjectSummary } from '@ailink/shared-contracts';

export class ProjectSummaryDto implements ProjectSummary {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) org_id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}
