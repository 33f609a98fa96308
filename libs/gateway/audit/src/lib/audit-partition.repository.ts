import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type AuditPartitionRange, type PartitionedAuditTable, defaultPartitionName, partitionName } from './audit-partitions';

/** What creating one partition did. */
export type PartitionOutcome = 'exists' | 'created' | 'moved_from_default' | 'overlaps';

/** Owns the DDL of the audit partitions. Names and bounds are computed, never taken from input. */
@Injectable()
export class AuditPartitionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Names of the partitions attached to `table`. */
  async partitions(table: PartitionedAuditTable): Promise<string[]> {
    const rows: { name: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [table],
    );
    return rows.map((r) => r.name);
  }

  /**
   * Creates the range partition unless it exists. When rows for that range already sit in the
   * DEFAULT partition (PostgreSQL then refuses to create it), the default is detached, the partition
   * created, those rows moved into it and the default re-attached, in one transaction. A range that
   * overlaps an existing partition (the unit was changed) is left alone.
   */
  async ensurePartition(
    table: PartitionedAuditTable,
    range: AuditPartitionRange,
    existing: ReadonlySet<string>,
  ): Promise<PartitionOutcome> {
    const name = partitionName(table, range);
    if (existing.has(name)) return 'exists';
    const from = range.from.toISOString();
    const to = range.to.toISOString();
    const create = `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table}" FOR VALUES FROM ('${from}') TO ('${to}')`;
    try {
      await this.dataSource.query(create);
      return 'created';
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P07') return 'exists'; // created concurrently
      if (code === '42P17') return 'overlaps';
      if (code !== '23514') throw error; // check_violation: the DEFAULT partition holds rows of this range
    }
    const fallback = defaultPartitionName(table);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`ALTER TABLE "${table}" DETACH PARTITION "${fallback}"`);
      await manager.query(create);
      await manager.query(
        `WITH moved AS (DELETE FROM "${fallback}" WHERE "created_at" >= $1::timestamptz AND "created_at" < $2::timestamptz RETURNING *)
         INSERT INTO "${table}" SELECT * FROM moved`,
        [from, to],
      );
      await manager.query(`ALTER TABLE "${table}" ATTACH PARTITION "${fallback}" DEFAULT`);
    });
    return 'moved_from_default';
  }

  /** Rows currently in the DEFAULT partition of `table`. */
  async defaultPartitionRows(table: PartitionedAuditTable): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM "${defaultPartitionName(table)}"`);
    return rows[0]?.n ?? 0;
  }
}
