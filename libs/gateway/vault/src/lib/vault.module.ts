import { Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@ailink/gateway-core';
import { EncryptedRowsRepository } from './encrypted-rows.repository';
import { EncryptedTableRegistry } from './encrypted-table.registry';
import { SystemStateEntity } from './entities/system-state.entity';
import { KekHeartbeatService } from './kek-heartbeat.service';
import { MasterKeyController } from './master-key.controller';
import { MasterKeyRotationService } from './master-key-rotation.service';
import { SystemStateRepository } from './system-state.repository';
import { VaultService } from './vault.service';

/**
 * Envelope encryption and master-key rotation. Features storing secrets inject {@link VaultService}
 * and register their tables with {@link EncryptedTableRegistry} from `onModuleInit`.
 *
 * At bootstrap (after every module initialised and migrations ran): refuse to start when a live row
 * is sealed under a key this instance does not hold; adopt `active_kek_id`; start the KEK heartbeat;
 * then re-wrap if `AILINK_MASTER_KEY_ROTATE_ON_START` is set, or resume an interrupted re-wrap.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SystemStateEntity])],
  controllers: [MasterKeyController],
  providers: [
    VaultService,
    EncryptedTableRegistry,
    EncryptedRowsRepository,
    SystemStateRepository,
    KekHeartbeatService,
    MasterKeyRotationService,
  ],
  exports: [VaultService, EncryptedTableRegistry, MasterKeyRotationService],
})
export class VaultModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly config: AppConfig,
    private readonly rotation: MasterKeyRotationService,
    private readonly heartbeat: KekHeartbeatService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.rotation.verifyKnownKeks();
    await this.rotation.initActiveKek();
    await this.heartbeat.start();
    await this.rotation.onStartup(this.config.masterKeyRotateOnStart);
  }

  async onModuleDestroy(): Promise<void> {
    await this.rotation.stop();
    await this.heartbeat.stop();
  }
}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const VAULT_ENTITIES = [SystemStateEntity];
