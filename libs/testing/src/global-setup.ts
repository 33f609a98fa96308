import { join } from 'node:path';
import { register } from 'tsconfig-paths';

/**
 * Integration and e2e tiers: the test database is recreated and migrated once per test run.
 * Jest loads global setup outside its module mapper, so the workspace paths are registered here.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..', '..');
  const { compilerOptions } = require(join(root, 'tsconfig.base.json')) as { compilerOptions: { paths: Record<string, string[]> } };
  register({ baseUrl: root, paths: compilerOptions.paths });
  const { resetTestDatabase } = require('./lib/database') as typeof import('./lib/database');
  await resetTestDatabase();
}
