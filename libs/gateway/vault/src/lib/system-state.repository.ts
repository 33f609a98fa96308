import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** Anything that runs SQL: the DataSource, or a QueryRunner holding a connection (and its locks). */
export interface SqlExecutor {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/** Keys of `system_state` the vault owns. */
export const SystemStateKey = {
  /** jsonb string: the `kek_id` new secrets are wrapped with (vault-and-spend.md §8.3). */
  ActiveKekId: 'active_kek_id',
  /** jsonb object: progress of the master-key re-wrap. */
  KekRewrap: 'kek_rewrap',
  /** jsonb object `{instance_id: last registration (RFC 3339)}`: where to look for KEK heartbeats. */
  KekInstances: 'kek_instances',
} as const;

/** Owns the queries on `system_state`. Every method takes an optional executor (default: the pool). */
@Injectable()
export class SystemStateRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async get<T>(key: string, exec: SqlExecutor = this.dataSource): Promise<T | null> {
    const rows: { value: T }[] = await exec.query('SELECT "value" FROM "system_state" WHERE "key" = $1', [key]);
    return rows.length ? rows[0].value : null;
  }

  async set(key: string, value: unknown, exec: SqlExecutor = this.dataSource): Promise<void> {
    await exec.query(
      `INSERT INTO "system_state" ("key", "value") VALUES ($1, $2::jsonb)
       ON CONFLICT ("key") DO UPDATE SET "value" = EXCLUDED."value", "updated_at" = now()`,
      [key, JSON.stringify(value)],
    );
  }

  /** Inserts the value unless the key exists; returns the stored value either way. */
  async setIfAbsent<T>(key: string, value: T, exec: SqlExecutor = this.dataSource): Promise<T> {
    await exec.query(`INSERT INTO "system_state" ("key", "value") VALUES ($1, $2::jsonb) ON CONFLICT ("key") DO NOTHING`, [
      key,
      JSON.stringify(value),
    ]);
    return (await this.get<T>(key, exec)) as T;
  }

  /** Replaces the value only if it still equals `expected`; true when it did. */
  async compareAndSet(key: string, expected: unknown, value: unknown, exec: SqlExecutor = this.dataSource): Promise<boolean> {
    const rows: unknown[] = await exec.query(
      `UPDATE "system_state" SET "value" = $3::jsonb, "updated_at" = now() WHERE "key" = $1 AND "value" = $2::jsonb RETURNING 1`,
      [key, JSON.stringify(expected), JSON.stringify(value)],
    );
    return rows.length > 0;
  }

  /** Shallow-merges `patch` into a jsonb object value (atomic; creates the row when missing). */
  async merge(key: string, patch: Record<string, unknown>, exec: SqlExecutor = this.dataSource): Promise<void> {
    await exec.query(
      `INSERT INTO "system_state" ("key", "value") VALUES ($1, $2::jsonb)
       ON CONFLICT ("key") DO UPDATE SET "value" = "system_state"."value" || EXCLUDED."value", "updated_at" = now()`,
      [key, JSON.stringify(patch)],
    );
  }

  /** Removes fields of a jsonb object value. */
  async removeFields(key: string, fields: string[], exec: SqlExecutor = this.dataSource): Promise<void> {
    if (fields.length === 0) return;
    await exec.query(`UPDATE "system_state" SET "value" = "value" - $2::text[], "updated_at" = now() WHERE "key" = $1`, [key, fields]);
  }
}
