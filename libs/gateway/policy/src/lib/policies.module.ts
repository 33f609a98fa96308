import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, OutboundUrlGuard } from '@ailink/gateway-core';
import { PolicyVersionEntity } from './entities/policy-version.entity';
import { PolicyEntity } from './entities/policy.entity';
import { PoliciesController } from './policies.controller';
import { PoliciesRepository } from './policies.repository';
import { PoliciesService } from './policies.service';
import { PolicyCache } from './policy-cache';
import { PolicyEvaluator } from './policy-evaluator';
import { PolicyActionsStage, PolicyEvaluateStage, PolicyStage } from './policy.stage';
import { TokenCacheInvalidator } from './token-cache-invalidator';
import { CounterUsageReader, PolicyUsageReader } from './usage-reader';

@Module({
  imports: [TypeOrmModule.forFeature([PolicyEntity, PolicyVersionEntity])],
  controllers: [PoliciesController],
  providers: [
    PoliciesRepository,
    PoliciesService,
    PolicyCache,
    PolicyEvaluator,
    PolicyStage,
    PolicyEvaluateStage,
    PolicyActionsStage,
    TokenCacheInvalidator,
    { provide: PolicyUsageReader, useClass: CounterUsageReader },
    { provide: OutboundUrlGuard, inject: [AppConfig], useFactory: (config: AppConfig) => new OutboundUrlGuard(config.allowedPrivateHosts) },
  ],
  exports: [PolicyStage, PolicyEvaluateStage, PolicyActionsStage, PolicyEvaluator, PoliciesService],
})
export class PoliciesModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const POLICIES_ENTITIES = [PolicyEntity, PolicyVersionEntity];
