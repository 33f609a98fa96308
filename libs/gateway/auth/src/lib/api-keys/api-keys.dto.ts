import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { API_KEY_ROLES, MANAGEMENT_SCOPES, type ApiKey, type ApiKeyRole, type CreateApiKeyResponse } from '@ailink/shared-contracts';

/** Any hyphenated UUID (the seeded ids are not version 4). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `POST /auth/keys` (identity.md §3). */
export class CreateApiKeyDto {
  @ApiProperty({ maxLength: 200, example: 'ci-deployer' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: API_KEY_ROLES })
  @IsString()
  @IsIn(API_KEY_ROLES)
  role!: ApiKeyRole;

  @ApiPropertyOptional({
    type: [String],
    example: ['tokens:read', 'audit:read'],
    description: `Scope names (${MANAGEMENT_SCOPES.join(', ')}) or wildcards ({resource}:*, *). Omitted: ["*"] for admin, every :read scope for readonly, [] for member`,
  })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  scopes?: string[] | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true, description: 'Must be in the future' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expires_at?: string | null;

  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'The key acts for this team' })
  @IsOptional()
  @IsString()
  @Matches(UUID, { message: 'team_id must be a UUID' })
  team_id?: string | null;

  @ApiPropertyOptional({ format: 'uuid', description: 'Super-admin only: mint the key in another organisation' })
  @IsOptional()
  @IsString()
  @Matches(UUID, { message: 'org_id must be a UUID' })
  org_id?: string;
}

/** `GET /auth/keys` query. */
export class ListApiKeysQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Super-admin only: another organisation's keys" })
  @IsOptional()
  @IsString()
  @Matches(UUID, { message: 'org_id must be a UUID' })
  org_id?: string;
}

export class ApiKeyDto implements ApiKey {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) org_id!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) user_id!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) team_id!: string | null;
  @ApiProperty() name!: string;
  @ApiProperty({ example: 'ak_live_00000000_3f9a' }) key_prefix!: string;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: ApiKeyRole;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty() is_active!: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expires_at!: string | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class CreateApiKeyResponseDto implements CreateApiKeyResponse {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'The key (ak_live_…): shown only in this response' }) key!: string;
  @ApiProperty() message!: string;
  @ApiProperty() name!: string;
  @ApiProperty() key_prefix!: string;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: ApiKeyRole;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expires_at!: string | null;
}
