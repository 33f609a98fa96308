import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsBoolean, IsDefined, IsOptional } from 'class-validator';

/**
 * `PUT /pricing` (management-api.md "Pricing"). Money fields accept a JSON number or a decimal
 * string; their checks (400 wrong type, 422 negative) are done by the service so that both forms
 * are read the same way.
 */
export class PutPricingDto {
  @ApiProperty({
    example: 'openai',
    description: 'openai, azure_openai, anthropic, google (gemini), bedrock, groq, mistral, together, cohere, ollama, unknown or *',
  })
  @IsDefined()
  provider!: unknown;

  @ApiProperty({
    example: 'gpt-4o*',
    description: 'Case-insensitive glob over the model name: * any run, ? one character (≤ 255 characters)',
  })
  @IsDefined()
  model_pattern!: unknown;

  @ApiProperty({ example: '2.50', description: 'USD per million input tokens (number or decimal string, ≥ 0)' })
  @IsDefined()
  input_per_m!: unknown;

  @ApiProperty({ example: '10.00', description: 'USD per million output tokens (number or decimal string, ≥ 0)' })
  @IsDefined()
  output_per_m!: unknown;

  @ApiPropertyOptional({ example: '1.25', nullable: true, description: 'USD per million cached input tokens; null = the input price' })
  @Allow()
  cached_input_per_m?: unknown;

  @ApiPropertyOptional({
    example: 16384,
    nullable: true,
    description: 'Output-token estimate for reservations when a request sets no max_tokens',
  })
  @Allow()
  max_output_tokens?: unknown;

  @ApiPropertyOptional({ description: 'Write the built-in row (org_id null) instead of an override; superadmin only' })
  @IsOptional()
  @IsBoolean()
  builtin?: boolean;
}

/** `GET /pricing` query. */
export class ListPricingQueryDto {
  @ApiPropertyOptional({ description: 'Include soft-deleted rows (true/1, false/0)' })
  @IsOptional()
  @Allow()
  include_inactive?: string;
}
