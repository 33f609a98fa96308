import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, MaxLength, Min, ValidateIf } from 'class-validator';
import {
  INJECTION_MODES,
  type CreateCredentialRequest,
  type CreateCredentialResponse,
  type CredentialInjectionMode,
  type CredentialMeta,
  type DeleteCredentialResponse,
  type RotateCredentialRequest,
  type RotateCredentialResponse,
  type UpdateCredentialRequest,
} from '@ailink/shared-contracts';

/** Upper bound for a stored secret (API keys, `user:password`, AWS key triples). */
export const MAX_SECRET_LENGTH = 16 * 1024;

/*
 * Validation messages never quote the value ($value): a secret must not appear in an error body.
 * `injection_mode` and `injection_header` are checked by the service (invalid → 400, as the
 * catalogue says), so the DTO only asks for strings here.
 */

export class CreateCredentialDto implements CreateCredentialRequest {
  @ApiProperty({ maxLength: 200, description: 'Unique per project' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ maxLength: 64, example: 'openai', description: 'Decides the default injection (vault-and-spend.md §2)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  provider!: string;

  @ApiProperty({ writeOnly: true, description: 'Encrypted at once; never returned' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SECRET_LENGTH)
  secret!: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Default: the default project' })
  @IsOptional()
  @IsString()
  project_id?: string;

  @ApiPropertyOptional({ enum: INJECTION_MODES, description: 'Default by provider; invalid → 400' })
  @IsOptional()
  @IsString()
  injection_mode?: string;

  @ApiPropertyOptional({ description: 'Header (or query parameter for `query`) name; default by mode; invalid → 400' })
  @IsOptional()
  @IsString()
  injection_header?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  rotation_enabled?: boolean;

  @ApiPropertyOptional({ minimum: 1, description: 'Scheduled DEK refresh interval' })
  @IsOptional()
  @IsInt()
  @Min(1)
  rotation_interval_secs?: number;
}

export class UpdateCredentialDto implements UpdateCredentialRequest {
  @ApiPropertyOptional({ maxLength: 200 })
  @ValidateIf((_, v) => v !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ enum: INJECTION_MODES })
  @ValidateIf((_, v) => v !== undefined)
  @IsString()
  injection_mode?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: '`null` resets it to the default for the mode' })
  @IsOptional()
  @IsString()
  injection_header?: string | null;

  @ApiPropertyOptional()
  @ValidateIf((_, v) => v !== undefined)
  @IsBoolean()
  rotation_enabled?: boolean;

  @ApiPropertyOptional({ type: Number, nullable: true, minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  rotation_interval_secs?: number | null;
}

export class RotateCredentialDto implements RotateCredentialRequest {
  @ApiPropertyOptional({ writeOnly: true, description: 'New secret; omit both fields to re-encrypt under a new data key' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SECRET_LENGTH)
  secret?: string;

  @ApiPropertyOptional({ writeOnly: true, description: 'Synonym of `secret`' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SECRET_LENGTH)
  api_key?: string;
}

export class ListCredentialsQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  project_id?: string;
}

export class CredentialMetaDto implements CredentialMeta {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() provider!: string;
  @ApiProperty() version!: number;
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
  @ApiProperty({ enum: INJECTION_MODES }) injection_mode!: CredentialInjectionMode;
  @ApiProperty({ type: String, nullable: true }) injection_header!: string | null;
  @ApiProperty() rotation_enabled!: boolean;
  @ApiProperty({ type: Number, nullable: true }) rotation_interval_secs!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_rotated_at!: string | null;
}

export class CreateCredentialResponseDto implements CreateCredentialResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'Credential encrypted and stored' }) message!: string;
}

export class RotateCredentialResponseDto implements RotateCredentialResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ format: 'date-time' }) rotated_at!: string;
  @ApiProperty() message!: string;
}

export class DeleteCredentialResponseDto implements DeleteCredentialResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() deleted!: boolean;
}
