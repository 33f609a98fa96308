export * from './lib/proxy-context';
export * from './lib/proxy-stage';
export * from './lib/proxy.module';
export * from './lib/proxy-handler';
export * from './lib/circuit-breaker';
export * from './lib/retry-policy';
export * from './lib/header-rules';
export * from './lib/upstream-selector';
