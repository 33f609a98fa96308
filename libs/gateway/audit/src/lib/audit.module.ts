import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { KeyValueStore } from '@ailink/gateway-redis';
import { AuditController } from './audit.controller';
import { AuditHook } from './audit.hook';
import { AuditMetrics } from './audit.metrics';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditWriter } from './audit.writer';
import { AuditPartitionRepository } from './audit-partition.repository';
import { AuditPartitionService } from './audit-partition.service';
import { AuditStreamService } from './audit-stream.service';

/**
 * The audit trail: the proxy completion hook (`AuditHook`, name `audit`), the batching writer with
 * its Redis spill, partition maintenance, and `GET /audit`, `/audit/{id}`, `/audit/stream`.
 * Needs the global DatabaseModule, RedisModule and CoreModule.
 */
@Module({
  controllers: [AuditController],
  providers: [
    { provide: AuditMetrics, useFactory: () => new AuditMetrics() },
    AuditRepository,
    AuditPartitionRepository,
    AuditService,
    AuditStreamService,
    AuditHook,
    {
      provide: AuditWriter,
      inject: [AppConfig, AuditRepository, KeyValueStore, LOGGER, AuditMetrics],
      useFactory: (config: AppConfig, repository: AuditRepository, store: KeyValueStore, logger: Logger, metrics: AuditMetrics) =>
        new AuditWriter(repository, store, logger, metrics, {
          flushMs: config.auditFlushMs,
          batchSize: config.auditBatchSize,
          queueMax: config.auditQueueMax,
          queueMaxBytes: config.auditQueueMaxBytes,
          spillMax: config.auditSpillMax,
          // Leave part of the shutdown grace period to the rest of the shutdown.
          shutdownTimeoutMs: Math.max(1000, Math.min(10_000, Math.floor(config.shutdownGraceMs / 2))),
        }),
    },
    {
      provide: AuditPartitionService,
      inject: [AppConfig, AuditPartitionRepository, KeyValueStore, LOGGER, AuditMetrics],
      useFactory: (config: AppConfig, repository: AuditPartitionRepository, store: KeyValueStore, logger: Logger, metrics: AuditMetrics) =>
        new AuditPartitionService(repository, store, logger, metrics, { unit: config.auditPartition, ahead: config.auditPartitionsAhead }),
    },
  ],
  exports: [AuditHook, AuditWriter],
})
export class AuditModule {}
