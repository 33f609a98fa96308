export * from './lib/test-env';
export * from './lib/database';
export * from './lib/tcp-proxy';
export * from './lib/free-port';
export * from './lib/mock-upstream';
export * from './lib/redis';
export * from './lib/oidc-idp';
