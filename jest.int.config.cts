/**
 * Integration tier: `*.int-spec.ts` beside the code, run against the real PostgreSQL and Redis
 * (TEST_DATABASE_URL / TEST_REDIS_URL, defaulting to the local servers).
 */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.base.json');

module.exports = {
  displayName: 'integration',
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  workerIdleMemoryLimit: '1GB',
};
