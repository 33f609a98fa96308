export * from './lib/gateway-database.module';
