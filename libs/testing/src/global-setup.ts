import { migrateTestDatabase } from './lib/database';

/** Integration tier: migrations run once per test run against the real test database. */
export default async function globalSetup(): Promise<void> {
  await migrateTestDatabase();
}
