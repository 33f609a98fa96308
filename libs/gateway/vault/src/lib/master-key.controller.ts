import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { MasterKeyStatus, RewrapState } from '@ailink/shared-contracts';
import { RequireScope } from '@ailink/gateway-core';
import { MasterKeyRotationService } from './master-key-rotation.service';

class RewrapStatusDto {
  @ApiProperty({ enum: ['idle', 'running', 'done', 'failed'] }) state!: RewrapState;
  @ApiProperty() rewrapped!: number;
  @ApiProperty() remaining!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) started_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finished_at!: string | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
}

class MasterKeyStatusDto implements MasterKeyStatus {
  @ApiProperty({ description: 'kek_id of AILINK_MASTER_KEY (first 16 hex of its SHA-256)' }) current_kek_id!: string;
  @ApiProperty({ type: String, nullable: true, description: 'kek_id of AILINK_MASTER_KEY_PREVIOUS' }) previous_kek_id!: string | null;
  @ApiProperty({ description: 'kek_id new secrets are wrapped with' }) active_kek_id!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } }) rows_by_kek_id!: Record<string, number>;
  @ApiProperty({ type: RewrapStatusDto }) rewrap!: RewrapStatusDto;
}

/** Master-key status and rotation (vault-and-spend.md §3; admin-only). */
@ApiTags('system')
@ApiSecurity('admin-key')
@Controller('system/master-key')
export class MasterKeyController {
  constructor(private readonly rotation: MasterKeyRotationService) {}

  @Get()
  @RequireScope('system:read', { adminOnly: true })
  @ApiOkResponse({ type: MasterKeyStatusDto })
  status(): Promise<MasterKeyStatus> {
    return this.rotation.status();
  }

  @Post('rotate')
  @HttpCode(202)
  @RequireScope('system:write', { adminOnly: true })
  @ApiAcceptedResponse({
    type: MasterKeyStatusDto,
    description: 'Re-wrap started in the background; 409 if running or an instance lacks a key; 422 without a previous key',
  })
  rotate(): Promise<MasterKeyStatus> {
    return this.rotation.rotate('api');
  }
}
