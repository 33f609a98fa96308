import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, OutboundUrlGuard } from '@ailink/gateway-core';
import { ServiceEntity } from './entities/service.entity';
import { ResolveServiceStage } from './resolve-service.stage';
import { ServiceCache } from './service-cache';
import { ServicesController } from './services.controller';
import { ServicesRepository } from './services.repository';
import { ServicesService } from './services.service';
import { ServiceAuditSnapshot } from './service.audit-snapshot';

@Module({
  imports: [TypeOrmModule.forFeature([ServiceEntity])],
  controllers: [ServicesController],
  providers: [
    ServicesRepository,
    ServicesService,
    ServiceCache,
    ResolveServiceStage,
    ServiceAuditSnapshot,
    { provide: OutboundUrlGuard, inject: [AppConfig], useFactory: (config: AppConfig) => new OutboundUrlGuard(config.allowedPrivateHosts) },
  ],
  exports: [ResolveServiceStage, ServicesService],
})
export class ServicesModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const SERVICES_ENTITIES = [ServiceEntity];
