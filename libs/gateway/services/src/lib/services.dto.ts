import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

/** Service names appear as one path segment of `/v1/proxy/services/{name}/…`. */
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const SERVICE_NAME_MESSAGE = 'must be 1–100 letters, digits, ".", "_" or "-", starting with a letter or digit';

/** `POST /services`. */
export class CreateServiceDto {
  @ApiProperty({ example: 'crm', pattern: SERVICE_NAME.source })
  @IsString()
  @IsNotEmpty()
  @Matches(SERVICE_NAME, { message: SERVICE_NAME_MESSAGE })
  name!: string;

  @ApiProperty({ example: 'https://crm.example.com/api', description: 'http or https (else 400); SSRF-checked (else 422)' })
  @IsString()
  base_url!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ default: 'generic', maxLength: 50 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  service_type?: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'Injected upstream; passthrough auth when absent' })
  @IsOptional()
  @IsUUID()
  credential_id?: string | null;

  @ApiPropertyOptional({ format: 'uuid', description: 'Defaults to the default project' })
  @IsOptional()
  @IsString()
  project_id?: string;
}

/** `PATCH /services/{id}` (partial; explicit null clears `description` and `credential_id`). */
export class UpdateServiceDto {
  @ApiPropertyOptional({ pattern: SERVICE_NAME.source })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @Matches(SERVICE_NAME, { message: SERVICE_NAME_MESSAGE })
  name?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  base_url?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ maxLength: 50 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(50)
  service_type?: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  credential_id?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  is_active?: boolean | null;
}

/** `GET /services` query. */
export class ListServicesQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  project_id?: string;
}
