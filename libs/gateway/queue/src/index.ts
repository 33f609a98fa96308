export * from './lib/gateway-queue.module';
