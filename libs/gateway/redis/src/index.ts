export * from './lib/gateway-redis.module';
