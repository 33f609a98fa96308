import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SnakeNamingStrategy, runMigrations } from '@ailink/gateway-database';
import { ALL_MIGRATIONS } from '@ailink/migrations';
import { HOW_TO_START_POSTGRES, TEST_DATABASE_URL } from './test-env';

/** Creates the test database if it does not exist yet (connecting to the `postgres` maintenance DB). */
export async function ensureDatabase(url = TEST_DATABASE_URL): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${target.host} (${(error as Error).message}). ${HOW_TO_START_POSTGRES}`);
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (error) {
        // Another process created it between the check and the CREATE: that is fine.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Drops and recreates the test database, then migrates it: every test run starts from a clean,
 * fully migrated schema (called once per run by the global setup of the integration and e2e tiers).
 */
export async function resetTestDatabase(url = TEST_DATABASE_URL): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${admin.host} (${(error as Error).message}). ${HOW_TO_START_POSTGRES}`);
  }
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  await migrateTestDatabase(url);
}

/** A TypeORM DataSource on the test database with the given entities (no synchronize, ever). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function testDataSource(entities: Function[], url = TEST_DATABASE_URL): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: ALL_MIGRATIONS,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    extra: { max: 4 },
  });
}

/** Applies every migration to the test database (idempotent; advisory-locked like the gateway). */
export async function migrateTestDatabase(url = TEST_DATABASE_URL): Promise<void> {
  await ensureDatabase(url);
  const ds = testDataSource([], url);
  await ds.initialize();
  try {
    await runMigrations(ds);
  } finally {
    await ds.destroy();
  }
}

/** A fresh, empty database for tests that need one of their own (e.g. a migration from zero). */
export async function createScratchDatabase(prefix = 'ailink_scratch'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  await ensureDatabase(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const admin = new URL(TEST_DATABASE_URL);
      admin.pathname = '/postgres';
      const client = new Client({ connectionString: admin.toString() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
