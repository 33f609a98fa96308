import { join } from 'node:path';
import { register } from 'tsconfig-paths';

/**
 * Integration tier: migrations run once per test run against the real test database.
 * Jest loads global setup outside its module mapper, so the workspace paths are registered here.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..', '..');
  const { compilerOptions } = require(join(root, 'tsconfig.base.json')) as { compilerOptions: { paths: Record<string, string[]> } };
  register({ baseUrl: root, paths: compilerOptions.paths });
  const { migrateTestDatabase } = require('./lib/database') as typeof import('./lib/database');
  await migrateTestDatabase();
}
