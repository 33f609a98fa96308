export { EventBus, EVENTS_CHANNEL } from './lib/event-bus';
export type { EmitInput, EventHandler, EventOrigin, EventScope, SubscribeOptions } from './lib/event-bus';
export { EventsModule } from './lib/events.module';
export { OncePerWindow } from './lib/once-per-window';
