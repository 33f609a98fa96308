import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import { EncryptedTableRegistry, VaultModule } from '@ailink/gateway-vault';
import { CredentialStore } from './credential.store';
import { CredentialsController } from './credentials.controller';
import { CredentialsRepository } from './credentials.repository';
import { CredentialsService } from './credentials.service';
import { CredentialEntity } from './entities/credential.entity';
import { RotationLogEntity } from './entities/rotation-log.entity';
import { InjectCredentialStage } from './inject-credential.stage';

/**
 * Credentials: the Management API resource, the cache-tier store and the proxy's
 * `inject-credential` stage. Registers `credentials` with the vault's master-key re-wrap.
 */
@Module({
  imports: [TypeOrmModule.forFeature([CredentialEntity, RotationLogEntity]), VaultModule],
  controllers: [CredentialsController],
  providers: [CredentialsRepository, CredentialsService, CredentialStore, InjectCredentialStage],
  exports: [CredentialsService, CredentialStore, InjectCredentialStage],
})
export class CredentialsModule implements OnModuleInit {
  constructor(
    private readonly registry: EncryptedTableRegistry,
    private readonly store: CredentialStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      format: 'columns',
      table: 'credentials',
      liveCondition: '"deleted_at" IS NULL',
      onRewrapped: async (keys) => {
        for (const key of keys) {
          const id = String(key['id']);
          await this.store.invalidate(id);
          // credential_rotated (trigger master_key_rotation): recorded in the process log until the
          // event bus lands; the version is unchanged because the secret is not re-encrypted.
          this.logger.info({ event: 'credential_rotated', credential_id: id, trigger: 'master_key_rotation' }, 'Credential re-wrapped');
        }
      },
    });
  }
}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const CREDENTIALS_ENTITIES = [CredentialEntity, RotationLogEntity];
