export * from './lib/operations.module';
export * from './lib/metrics.service';
export * from './lib/readiness.service';
