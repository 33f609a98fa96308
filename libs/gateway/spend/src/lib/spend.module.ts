import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '@ailink/gateway-events';
import { ModelPricingEntity } from './entities/model-pricing.entity';
import { ProjectBudgetEntity } from './entities/project-budget.entity';
import { ProjectSpendEntity } from './entities/project-spend.entity';
import { SessionEntity } from './entities/session.entity';
import { SpendCapEntity } from './entities/spend-cap.entity';
import { TokenSpendEntity } from './entities/token-spend.entity';
import { PricingCache } from './pricing/pricing-cache';
import { PricingController } from './pricing/pricing.controller';
import { PricingRepository } from './pricing/pricing.repository';
import { PricingService } from './pricing/pricing.service';
import { SpendController } from './spend.controller';
import { SpendFlusher } from './spend-flusher';
import { SpendLedger } from './spend-ledger';
import { SpendProfileCache } from './spend-profile-cache';
import { SpendRepository } from './spend.repository';
import { SpendService } from './spend.service';
import { SpendSettleHook } from './spend-settle.hook';
import { SpendGuardStage } from './spend-guard.stage';
import { SpendStage } from './spend.stage';
import { SpendTracker } from './spend-tracker';
import { SpendEvents } from './spend-events';
import { SessionCache } from './sessions/session-cache';
import { SessionsController } from './sessions/sessions.controller';
import { SessionsRepository } from './sessions/sessions.repository';
import { SessionsService } from './sessions/sessions.service';

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const SPEND_ENTITIES = [
  ModelPricingEntity,
  SpendCapEntity,
  TokenSpendEntity,
  ProjectBudgetEntity,
  ProjectSpendEntity,
  SessionEntity,
];

/**
 * Pricing, cost, spend caps, budgets and sessions: `/pricing`, `/tokens/{id}/spend…`, `/projects/{id}/budget`,
 * `/sessions/{id}/entity|status|spend-cap`,
 * the proxy stage `spend` (reservation) and the completion hook `spend` (settlement), the batched
 * flush to PostgreSQL. Needs the global DatabaseModule, RedisModule and CoreModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature(SPEND_ENTITIES), EventsModule],
  controllers: [PricingController, SpendController, SessionsController],
  providers: [
    PricingRepository,
    PricingCache,
    PricingService,
    SpendRepository,
    SpendProfileCache,
    SpendEvents,
    SpendLedger,
    SpendFlusher,
    SpendService,
    SpendTracker,
    SessionsRepository,
    SessionCache,
    SessionsService,
    SpendStage,
    SpendGuardStage,
    SpendSettleHook,
  ],
  exports: [SpendStage, SpendGuardStage, SpendSettleHook, SpendProfileCache, PricingService, SpendLedger, SpendFlusher],
})
export class SpendModule {}
