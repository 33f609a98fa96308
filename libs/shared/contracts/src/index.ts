export * from './lib/errors';
export * from './lib/operations';
export * from './lib/identity';
export * from './lib/projects';
export * from './lib/version';
