import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig } from './config/app-config';
import { LOGGER } from './logging/logger.token';

/** Makes the boot-time config and the process logger injectable everywhere. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: LOGGER, useValue: logger },
      ],
      exports: [AppConfig, LOGGER],
    };
  }
}
