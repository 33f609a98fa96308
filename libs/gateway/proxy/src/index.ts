export * from './lib/proxy-context';
export * from './lib/proxy-stage';
