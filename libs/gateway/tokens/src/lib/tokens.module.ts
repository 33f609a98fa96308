import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig, OutboundUrlGuard } from '@ailink/gateway-core';
import { EventsModule } from '@ailink/gateway-events';
import { TokenEntity } from './entities/token.entity';
import { ResolveTokenStage } from './resolve-token.stage';
import { TokenCache } from './token-cache';
import { TokensController } from './tokens.controller';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';
import { TokenAuditSnapshot } from './token.audit-snapshot';

@Module({
  imports: [TypeOrmModule.forFeature([TokenEntity]), EventsModule],
  controllers: [TokensController],
  providers: [
    TokensRepository,
    TokensService,
    TokenCache,
    ResolveTokenStage,
    TokenAuditSnapshot,
    { provide: OutboundUrlGuard, inject: [AppConfig], useFactory: (config: AppConfig) => new OutboundUrlGuard(config.allowedPrivateHosts) },
  ],
  exports: [ResolveTokenStage, TokensService],
})
export class TokensModule {}

/** Entities this library owns, for the DataSource and the entity/migration check. */
export const TOKENS_ENTITIES = [TokenEntity];
