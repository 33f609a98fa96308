import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

const MAPPING_DESCRIPTION =
  '{role?, role_values?, scopes?, groups? ("groups"), group_teams? ({group: team id}), email? ("email"), name? ("name")}';

/** `POST /oidc/providers`. `client_secret` is write-only: stored encrypted, never returned. */
export class CreateOidcProviderDto {
  @ApiProperty({ example: 'Okta', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'https://example.okta.com', description: 'Must equal the `iss` of its tokens; unique per organisation' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  issuer_url!: string;

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  client_id!: string;

  @ApiPropertyOptional({ writeOnly: true, nullable: true, description: 'Stored encrypted; never returned' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  client_secret?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Defaults to the discovery document’s jwks_uri' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  jwks_uri?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Required in `aud` of bearer JWTs; defaults to client_id' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  audience?: string | null;

  @ApiPropertyOptional({ default: 'openid email profile' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  scopes?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: MAPPING_DESCRIPTION })
  @IsOptional()
  @IsObject()
  claim_mapping?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ['admin', 'member', 'readonly', 'viewer'], default: 'readonly' })
  @IsOptional()
  @IsString()
  default_role?: string;

  @ApiPropertyOptional({ type: [String], default: [] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  default_scopes?: string[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

/** `PATCH`/`PUT /oidc/providers/{id}` (partial; `client_secret: null` removes the stored secret). */
export class UpdateOidcProviderDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  issuer_url?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  client_id?: string | null;

  @ApiPropertyOptional({ writeOnly: true, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  client_secret?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  jwks_uri?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  audience?: string | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  scopes?: string | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: MAPPING_DESCRIPTION })
  @IsOptional()
  @IsObject()
  claim_mapping?: Record<string, unknown> | null;

  @ApiPropertyOptional({ enum: ['admin', 'member', 'readonly', 'viewer'] })
  @IsOptional()
  @IsString()
  default_role?: string | null;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  default_scopes?: string[] | null;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  enabled?: boolean | null;
}

/** `POST /oidc/providers/test`. */
export class TestOidcProviderDto {
  @ApiProperty({ example: 'https://accounts.example.com' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2000)
  issuer_url!: string;
}
