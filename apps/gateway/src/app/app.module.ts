import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import { AppConfig, CoreModule, GatewayExceptionFilter } from '@ailink/gateway-core';
import { DatabaseModule } from '@ailink/gateway-database';
import { RedisModule } from '@ailink/gateway-redis';
import { QueueModule } from '@ailink/gateway-queue';
import { AuthModule } from '@ailink/gateway-auth';
import { OperationsModule } from '@ailink/gateway-operations';
import { ProjectsModule } from '@ailink/gateway-projects';
import { VaultModule } from '@ailink/gateway-vault';
import { CredentialsModule } from '@ailink/gateway-credentials';
import { TokensModule } from '@ailink/gateway-tokens';
import { ServicesModule } from '@ailink/gateway-services';
import { ProxyModule } from '@ailink/gateway-proxy';
import { SpendModule } from '@ailink/gateway-spend';
import { AuditModule } from '@ailink/gateway-audit';
import { PoliciesModule } from '@ailink/gateway-policy';
import { RateLimitModule } from '@ailink/gateway-rate-limit';
import { AdminAuditModule } from '@ailink/gateway-admin-audit';
import { IdentityModule } from '@ailink/gateway-identity';
import { ApprovalsModule } from '@ailink/gateway-approvals';
import { EventsModule } from '@ailink/gateway-events';
import { PROXY_PIPELINE } from './proxy-pipeline';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { ALL_ENTITIES } from './entities';
import { RoutePricesModule } from './route-prices.module';

/**
 * The composition root: wiring only. Infrastructure first (config, database, Redis, queues), then
 * the Management API features. Route-family precedence is set up in `create-gateway.ts`.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config, logger),
        DatabaseModule.forRoot({ entities: ALL_ENTITIES, migrations: ALL_MIGRATIONS }),
        RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
        QueueModule.forRoot({ redisUrl: config.redisUrl, prefix: `${config.redisKeyPrefix}ailink:bull` }),
        OperationsModule,
        AuthModule,
        ProjectsModule,
        VaultModule,
        CredentialsModule,
        TokensModule,
        ServicesModule,
        AuditModule,
        PoliciesModule,
        SpendModule,
        RateLimitModule,
        AdminAuditModule,
        IdentityModule,
        ApprovalsModule,
        ProxyModule.forRoot(PROXY_PIPELINE),
        EventsModule,
        RoutePricesModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: GatewayExceptionFilter }],
    };
  }
}
