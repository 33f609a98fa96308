export * from './lib/database.module';
export * from './lib/database-health';
export * from './lib/embedded-postgres';
export * from './lib/migration-runner';
export * from './lib/snake-naming.strategy';
export * from './lib/project-scope';
export * from './lib/query-counting.logger';
