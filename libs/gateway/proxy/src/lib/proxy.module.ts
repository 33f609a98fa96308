import { Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Logger } from 'pino';
import { AppConfig, LOGGER } from '@ailink/gateway-core';
import { EventBus, EventsModule } from '@ailink/gateway-events';
import { KeyValueStore } from '@ailink/gateway-redis';
import { CircuitBreakers, type BreakerOpenedEvent } from './circuit-breaker';
import { ProxyHandler } from './proxy-handler';
import { SharedCircuitBreakers } from './shared-circuit-breakers';
import type { ProxyCompletionHook, ProxyResponseStage, ProxyStage } from './proxy-stage';
import { UpstreamClient } from './upstream-client';
import { UpstreamHealthController } from './upstream-health.controller';

export interface ProxyPipelineDefinition {
  /** Run once per request before the upstream call, in this order. */
  stages: Type<ProxyStage>[];
  /** Run before every attempt, after target selection (e.g. credential injection). */
  attemptStages: Type<ProxyStage>[];
  /** Run after the response, in this order. */
  completions: Type<ProxyCompletionHook>[];
  /** Run on the upstream response before it is sent (the post phase), in this order. */
  responseStages?: Type<ProxyResponseStage>[];
}

const PIPELINE = Symbol('ailink:proxy-pipeline');

/**
 * The proxy data path. The app passes the ordered stage classes (provided and exported by the
 * feature modules it imports); instances are looked up once at bootstrap.
 */
@Module({})
export class ProxyModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly handler: ProxyHandler,
  ) {}

  static forRoot(pipeline: ProxyPipelineDefinition): DynamicModule {
    return {
      module: ProxyModule,
      global: true,
      imports: [EventsModule],
      controllers: [UpstreamHealthController],
      providers: [
        UpstreamClient,
        ProxyHandler,
        { provide: PIPELINE, useValue: pipeline },
        { provide: CircuitBreakers, inject: [AppConfig, KeyValueStore, EventBus, LOGGER], useFactory: createCircuitBreakers },
      ],
      exports: [ProxyHandler],
    };
  }

  onApplicationBootstrap(): void {
    const pipeline = this.moduleRef.get<ProxyPipelineDefinition>(PIPELINE);
    const find = <T>(type: Type<T>): T => this.moduleRef.get(type, { strict: false });
    this.handler.configure(
      pipeline.stages.map(find),
      pipeline.attemptStages.map(find),
      pipeline.completions.map(find),
      (pipeline.responseStages ?? []).map(find),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.handler.breakers.close();
  }
}

/**
 * The breakers the proxy uses: shared through the key/value store with `AILINK_CB_SHARED=true` (the
 * default; in embedded mode the in-process store, i.e. one instance), else per instance. Either way
 * each opening becomes a `circuit_opened` event, emitted off the request's path.
 */
export function createCircuitBreakers(config: AppConfig, store: KeyValueStore, events: EventBus, logger: Logger): CircuitBreakers {
  const breakers = config.cbShared
    ? new SharedCircuitBreakers({ store, logger, leaseMs: (config.upstreamTimeoutMs ?? 60_000) + 5_000 })
    : new CircuitBreakers();
  breakers.onOpened = (opened) => emitCircuitOpened(events, logger, opened);
  return breakers;
}

function emitCircuitOpened(events: EventBus, logger: Logger, opened: BreakerOpenedEvent): void {
  if (!opened.projectId) return; // only breakers of real tokens (the proxy always passes the token)
  try {
    events.emit('circuit_opened', {
      project_id: opened.projectId,
      token_id: opened.tokenId,
      token_name: opened.tokenName ?? null,
      details: { upstream: opened.url, failure_count: opened.failureCount, cooldown_secs: opened.cooldownSecs },
    });
  } catch (error) {
    logger.warn({ err: error, token_id: opened.tokenId }, 'Could not emit circuit_opened');
  }
}
