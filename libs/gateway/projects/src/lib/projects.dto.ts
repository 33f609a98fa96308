import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import type {
  CreateOrganizationResponse,
  Organization,
  ProjectNameRequest,
  ProjectRef,
  ProjectSummary,
  PurgeProjectResponse,
} from '@ailink/shared-contracts';

export class ProjectSummaryDto implements ProjectSummary {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid' }) org_id!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

/** `POST /projects` and `PUT /projects/{id}`; also `POST /organizations`. */
export class NameDto implements ProjectNameRequest {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}

export class ProjectRefDto implements ProjectRef {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

export class PurgeProjectResponseDto implements PurgeProjectResponse {
  @ApiProperty({ enum: ['purged'] }) status!: 'purged';
  @ApiProperty({ format: 'uuid' }) project_id!: string;
  @ApiProperty() rows_deleted!: number;
}

export class OrganizationDto implements Organization {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreateOrganizationResponseDto implements CreateOrganizationResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'uuid', description: "The organisation's default project, created with it" }) default_project_id!: string;
}
