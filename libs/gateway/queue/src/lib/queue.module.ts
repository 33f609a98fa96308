import {
  type DynamicModule,
  Global,
  type InjectionToken,
  Module,
  type ModuleMetadata,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import { QueueFactory, type QueueFactoryOptions } from './queue.factory';

export type QueueModuleOptions = QueueFactoryOptions;

export interface QueueModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: never[]) => QueueModuleOptions | Promise<QueueModuleOptions>;
}

/**
 * Global module providing the {@link QueueFactory}: BullMQ queues when `redisUrl` is set, in-process
 * queues otherwise. Queues and connections are closed on module destroy.
 *
 * `@nestjs/bullmq` is deliberately not used: its queues are declared statically per name
 * (`registerQueue`) and its processors are decorated classes, whereas features here create queues
 * by name at runtime behind one interface that also has an in-process implementation.
 */
@Global()
@Module({})
export class QueueModule {
  static forRoot(options: QueueModuleOptions = {}): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      providers: [{ provide: QueueFactory, useFactory: () => new QueueFactory(options) }],
      exports: [QueueFactory],
    };
  }

  static forRootAsync(options: QueueModuleAsyncOptions): DynamicModule {
    return {
      module: QueueModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: QueueFactory,
          inject: options.inject ?? [],
          useFactory: async (...args: never[]) => new QueueFactory(await options.useFactory(...args)),
        },
      ],
      exports: [QueueFactory],
    };
  }
}
