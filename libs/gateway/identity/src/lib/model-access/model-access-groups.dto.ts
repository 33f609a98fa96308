import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';

/** `POST /model-access-groups`: missing `name` or a `models` that is not an array of strings → 400. */
export class CreateModelAccessGroupDto {
  @ApiProperty({ example: 'openai-chat', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiProperty({ type: [String], example: ['gpt-4o*', '*mini*'], description: 'Case-insensitive globs: `*` any run, `?` one character' })
  @IsArray()
  @IsString({ each: true })
  models!: string[];

  @ApiPropertyOptional({ format: 'uuid', description: 'Defaults to the default project' })
  @IsOptional()
  @IsString()
  project_id?: string;
}

/** `PUT /model-access-groups/{id}` (partial). */
export class UpdateModelAccessGroupDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  models?: string[] | null;
}

/** `GET`/`DELETE /model-access-groups` query. */
export class ModelAccessGroupsQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsString()
  project_id?: string;
}
