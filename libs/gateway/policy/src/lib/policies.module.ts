import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, OutboundUrlGuard } from '@ailink/gateway-core';
import { EventsModule } from '@ailink/gateway-events';
import { PolicyVersionEntity } from './entities/policy-version.entity';
import { PolicyEntity } from './entities/policy.entity';
import { PoliciesController } from './policies.controller';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';
import { PolicyCache } from './policy-cache';
import { PolicyEvaluator } from './policy-evaluator';
import { PolicyActionsStage, PolicyEvaluateStage, PolicyStage } from './policy.stage';
import { PolicyActionRunner } from './policy-action-runner';
import { PolicyAsyncHook } from './policy-async.hook';
import { PolicyResponseStage } from './policy-response.stage';
import { PolicyRoutingService, RouteLatencyRepository } from './routing-environment';
import { ShadowReportController } from './shadow-report.controller';
import { ShadowReportRepository } from './shadow-report.repository';
import { ShadowReportService } from './shadow-report.service';
import { TokenCacheInvalidator } from './token-cache-invalidator';
import { CounterUsageReader, PolicyUsageReader } from './usage-reader';

@Module({
  imports: [TypeOrmModule.forFeature([PolicyEntity, PolicyVersionEntity]), EventsModule],
  controllers: [PoliciesController, ShadowReportController],
  providers: [
    PoliciesRepository,
    PoliciesService,
    PolicyCache,
    PolicyEvaluator,
    PolicyStage,
    PolicyEvaluateStage,
    PolicyActionsStage,
    PolicyActionRunner,
    PolicyRoutingService,
    RouteLatencyRepository,
    PolicyResponseStage,
    PolicyAsyncHook,
    TokenCacheInvalidator,
    ShadowReportRepository,
    ShadowReportService,
    { provide: PolicyUsageReader, useClass: CounterUsageReader },
    { provide: OutboundUrlGuard, inject: [AppConfig], useFactory: (config: AppConfig) => new OutboundUrlGuard(config.allowedPrivateHosts) },
  ],
  exports: [PolicyStage, PolicyEvaluateStage, PolicyActionsStage, PolicyResponseStage, PolicyAsyncHook, PolicyEvaluator, PoliciesService],
})
export class PoliciesModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const POLICIES_ENTITIES = [PolicyEntity, PolicyVersionEntity];
