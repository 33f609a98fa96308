import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import { EventBus, EventsModule } from '@ailink/gateway-events';
import { EncryptedTableRegistry, VaultModule } from '@ailink/gateway-vault';
import { CredentialStore } from './credential.store';
import { CredentialsController } from './credentials.controller';
import { CredentialsRepository } from './credentials.repository';
import { CredentialsService } from './credentials.service';
import { CredentialEntity } from './entities/credential.entity';
import { RotationLogEntity } from './entities/rotation-log.entity';
import { InjectCredentialStage } from './inject-credential.stage';
import { CredentialAuditSnapshot } from './credential.audit-snapshot';
import { CredentialRotationScheduler } from './credential-rotation.scheduler';

/**
 * Credentials: the Management API resource, the cache-tier store and the proxy's
 * `inject-credential` stage. Registers `credentials` with the vault's master-key re-wrap.
 */
@Module({
  imports: [TypeOrmModule.forFeature([CredentialEntity, RotationLogEntity]), VaultModule, EventsModule],
  controllers: [CredentialsController],
  providers: [
    CredentialsRepository,
    CredentialsService,
    CredentialStore,
    InjectCredentialStage,
    CredentialAuditSnapshot,
    CredentialRotationScheduler,
  ],
  exports: [CredentialsService, CredentialStore, InjectCredentialStage, CredentialRotationScheduler],
})
export class CredentialsModule implements OnModuleInit {
  constructor(
    private readonly registry: EncryptedTableRegistry,
    private readonly store: CredentialStore,
    private readonly repository: CredentialsRepository,
    private readonly events: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      format: 'columns',
      table: 'credentials',
      liveCondition: '"deleted_at" IS NULL',
      onRewrapped: async (keys) => {
        const ids = keys.map((key) => String(key['id']));
        for (const id of ids) await this.store.invalidate(id);
        // Not awaited: the re-wrap may hold the only connection (embedded mode) until it is done.
        void this.announceRewrapped(ids);
      },
    });
  }

  /**
   * `credential_rotated` (trigger `master_key_rotation`) once per live re-wrapped credential; the
   * version is unchanged because the secret itself is not re-encrypted.
   */
  private async announceRewrapped(ids: readonly string[]): Promise<void> {
    try {
      for (const row of await this.repository.findEventFields(ids)) {
        this.events.emit('credential_rotated', {
          project_id: row.projectId,
          details: { credential_id: row.id, name: row.name, version: row.version, trigger: 'master_key_rotation' },
        });
      }
      this.logger.info({ credentials: ids.length, trigger: 'master_key_rotation' }, 'Credentials re-wrapped');
    } catch (error) {
      this.logger.warn({ err: error }, 'Could not announce re-wrapped credentials');
    }
  }
}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const CREDENTIALS_ENTITIES = [CredentialEntity, RotationLogEntity];
