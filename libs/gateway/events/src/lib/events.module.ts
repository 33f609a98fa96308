import { Module } from '@nestjs/common';
import { EventBus } from './event-bus';

/**
 * Provides the {@link EventBus}. Features that emit or consume events import this module (one
 * instance per application); it needs the global `KeyValueStore` (RedisModule) and `LOGGER`
 * (CoreModule).
 */
@Module({
  providers: [EventBus],
  exports: [EventBus],
})
export class EventsModule {}
