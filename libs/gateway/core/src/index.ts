export * from './lib/gateway-core.module';
