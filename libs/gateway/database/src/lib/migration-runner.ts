import { MigrationExecutor, type DataSource, type Migration } from 'typeorm';

/** Arbitrary but fixed: every AIlink instance takes this advisory lock before migrating. */
export const MIGRATION_LOCK_KEY = 0x41494c4e; // "AILN"

/**
 * Runs pending migrations under a PostgreSQL advisory lock so that instances starting together do
 * not race: the first migrates, the others wait, then find nothing pending. The lock and the
 * migrations share one connection (the embedded mode has only one).
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      return await executor.executePendingMigrations();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}

/** SQL the entities would still need on top of the migrated schema; empty when they match. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}
