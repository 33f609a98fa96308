import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminKeyAuthenticator } from './admin-key.authenticator';
import { ApiKeyAuthenticator } from './api-keys/api-key.authenticator';
import { ApiKeyCache } from './api-keys/api-key-cache';
import { ApiKeyUsage } from './api-keys/api-key-usage';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysRepository } from './api-keys/api-keys.repository';
import { ApiKeysService } from './api-keys/api-keys.service';
import { ApiKeyAuditSnapshot } from './api-keys/api-key.audit-snapshot';
import { AuthController } from './auth.controller';
import { ApiKeyEntity } from './entities/api-key.entity';
import { ManagementAuthGuard } from './management-auth.guard';

/**
 * Management API authentication: the global fail-closed guard (admin key, then API keys),
 * `GET /auth/whoami` and the API keys of `/auth/keys`.
 */
@Module({
  imports: [TypeOrmModule.forFeature([ApiKeyEntity])],
  controllers: [AuthController, ApiKeysController],
  providers: [
    AdminKeyAuthenticator,
    ApiKeysRepository,
    ApiKeyCache,
    ApiKeyUsage,
    ApiKeyAuthenticator,
    ApiKeysService,
    ApiKeyAuditSnapshot,
    { provide: APP_GUARD, useClass: ManagementAuthGuard },
  ],
  exports: [ApiKeysService, ApiKeyUsage],
})
export class AuthModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const AUTH_ENTITIES = [ApiKeyEntity];
