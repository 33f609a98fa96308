import { Module, type DynamicModule, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ProxyHandler } from './proxy-handler';
import type { ProxyCompletionHook, ProxyStage } from './proxy-stage';
import { UpstreamClient } from './upstream-client';
import { UpstreamHealthController } from './upstream-health.controller';

export interface ProxyPipelineDefinition {
  /** Run once per request before the upstream call, in this order. */
  stages: Type<ProxyStage>[];
  /** Run before every attempt, after target selection (e.g. credential injection). */
  attemptStages: Type<ProxyStage>[];
  /** Run after the response, in this order. */
  completions: Type<ProxyCompletionHook>[];
}

const PIPELINE = Symbol('ailink:proxy-pipeline');

/**
 * The proxy data path. The app passes the ordered stage classes (provided and exported by the
 * feature modules it imports); instances are looked up once at bootstrap.
 */
@Module({})
export class ProxyModule implements OnApplicationBootstrap {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly handler: ProxyHandler,
  ) {}

  static forRoot(pipeline: ProxyPipelineDefinition): DynamicModule {
    return {
      module: ProxyModule,
      global: true,
      controllers: [UpstreamHealthController],
      providers: [UpstreamClient, ProxyHandler, { provide: PIPELINE, useValue: pipeline }],
      exports: [ProxyHandler],
    };
  }

  onApplicationBootstrap(): void {
    const pipeline = this.moduleRef.get<ProxyPipelineDefinition>(PIPELINE);
    const find = <T>(type: Type<T>): T => this.moduleRef.get(type, { strict: false });
    this.handler.configure(pipeline.stages.map(find), pipeline.attemptStages.map(find), pipeline.completions.map(find));
  }
}
