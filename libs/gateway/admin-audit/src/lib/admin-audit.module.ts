import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { KeyValueStore } from '@ailink/gateway-redis';
import { AdminAuditLogEntity } from './entities/admin-audit-log.entity';
import { AdminAuditSnapshotRegistry } from './admin-audit-snapshots';
import { AdminAuditController } from './admin-audit.controller';
import { AdminAuditInterceptor } from './admin-audit.interceptor';
import { AdminAuditMetrics } from './admin-audit.metrics';
import { AdminAuditRecorder } from './admin-audit.recorder';
import { AdminAuditRepository } from './admin-audit.repository';
import { AdminAuditService } from './admin-audit.service';
import { AdminAuditWriter } from './admin-audit.writer';

/**
 * The admin audit trail: a global interceptor recording every successful Management API write
 * (with before/after snapshots from the providers features register through
 * `@AdminAuditSnapshot`), its batching writer, and `GET /audit/admin`. Needs the global
 * DatabaseModule, RedisModule and CoreModule.
 */
@Module({
  imports: [DiscoveryModule, TypeOrmModule.forFeature([AdminAuditLogEntity])],
  controllers: [AdminAuditController],
  providers: [
    { provide: AdminAuditMetrics, useFactory: () => new AdminAuditMetrics() },
    AdminAuditRepository,
    AdminAuditService,
    AdminAuditSnapshotRegistry,
    AdminAuditRecorder,
    {
      provide: AdminAuditWriter,
      inject: [AppConfig, AdminAuditRepository, KeyValueStore, LOGGER, AdminAuditMetrics],
      useFactory: (config: AppConfig, repository: AdminAuditRepository, store: KeyValueStore, logger: Logger, metrics: AdminAuditMetrics) =>
        new AdminAuditWriter(repository, store, logger, metrics, {
          flushMs: config.auditFlushMs,
          batchSize: config.auditBatchSize,
          queueMax: config.auditQueueMax,
          spillMax: config.auditSpillMax,
          // Leave part of the shutdown grace period to the rest of the shutdown.
          shutdownTimeoutMs: Math.max(1000, Math.min(10_000, Math.floor(config.shutdownGraceMs / 2))),
        }),
    },
    { provide: APP_INTERCEPTOR, useClass: AdminAuditInterceptor },
  ],
  exports: [AdminAuditWriter, AdminAuditSnapshotRegistry],
})
export class AdminAuditModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const ADMIN_AUDIT_ENTITIES = [AdminAuditLogEntity];
