import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { EncryptedTable } from './encrypted-table.registry';
import type { SqlExecutor } from './system-state.repository';

/** One row locked for a re-wrap: its key and its current wrapped value. */
export type LockedRow =
  | { format: 'columns'; key: Record<string, unknown>; encryptedDek: Buffer; dekNonce: Buffer; kekId: string }
  | { format: 'compact'; key: Record<string, unknown>; blob: Buffer };

/** The re-wrapped value to store. */
export type RewrappedValue =
  | { format: 'columns'; encryptedDek: Buffer; dekNonce: Buffer; kekId: string }
  | { format: 'compact'; blob: Buffer };

const q = (identifier: string) => `"${identifier}"`;

/**
 * Owns the generic queries on registered encrypted tables (vault-and-spend.md §8.3): per-`kek_id`
 * counts, `SELECT … FOR UPDATE SKIP LOCKED` batches and the guarded UPDATE. Identifiers come from
 * code registrations (validated by the registry), never from input.
 */
@Injectable()
export class EncryptedRowsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Rows per `kek_id` (all rows, or only live ones). */
  async countByKek(table: EncryptedTable, options: { liveOnly?: boolean } = {}, exec: SqlExecutor = this.dataSource) {
    const conditions: string[] = [];
    if (table.format === 'compact') conditions.push(`${q(table.column)} IS NOT NULL`);
    if (options.liveOnly && table.liveCondition) conditions.push(`(${table.liveCondition})`);
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const kek = table.format === 'compact' ? kekIdSql(table.column) : '"kek_id"';
    const rows: { kek_id: string; n: number }[] = await exec.query(
      `SELECT ${kek} AS "kek_id", count(*)::int AS "n" FROM ${q(table.table)} ${where} GROUP BY 1`,
    );
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.kek_id] = (counts[row.kek_id] ?? 0) + row.n;
    return counts;
  }

  /** Rows wrapped under `kekId`. */
  async countUnder(table: EncryptedTable, kekId: string, exec: SqlExecutor = this.dataSource): Promise<number> {
    const rows: { n: number }[] = await exec.query(`SELECT count(*)::int AS "n" FROM ${q(table.table)} WHERE ${underKek(table, '$1')}`, [
      matchValue(table, kekId),
    ]);
    return rows[0]?.n ?? 0;
  }

  /** Locks up to `limit` rows wrapped under `kekId` (`FOR UPDATE SKIP LOCKED`); call inside a transaction. */
  async lockBatch(table: EncryptedTable, kekId: string, limit: number, exec: SqlExecutor): Promise<LockedRow[]> {
    const keys = table.keyColumns ?? ['id'];
    const value = table.format === 'compact' ? `${q(table.column)} AS "blob"` : `"encrypted_dek", "dek_nonce", "kek_id"`;
    const rows: Record<string, unknown>[] = await exec.query(
      `SELECT ${keys.map((k) => `${q(k)} AS ${q(`k_${k}`)}`).join(', ')}, ${value}
       FROM ${q(table.table)} WHERE ${underKek(table, '$1')}
       ORDER BY ${keys.map(q).join(', ')} LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [matchValue(table, kekId), limit],
    );
    return rows.map((row) => {
      const key = Object.fromEntries(keys.map((k) => [k, row[`k_${k}`]]));
      return table.format === 'compact'
        ? { format: 'compact' as const, key, blob: row['blob'] as Buffer }
        : {
            format: 'columns' as const,
            key,
            encryptedDek: row['encrypted_dek'] as Buffer,
            dekNonce: row['dek_nonce'] as Buffer,
            kekId: row['kek_id'] as string,
          };
    });
  }

  /**
   * `UPDATE … WHERE key = $key AND kek_id = $prev AND encrypted_dek = $old`: writes the re-wrapped
   * value only if the row still holds what was read. True when a row was updated.
   */
  async updateGuarded(table: EncryptedTable, row: LockedRow, next: RewrappedValue, exec: SqlExecutor): Promise<boolean> {
    const keys = table.keyColumns ?? ['id'];
    const keyValues = keys.map((k) => row.key[k]);
    const keyWhere = keys.map((k, i) => `${q(k)} = $${i + 1}`).join(' AND ');
    const n = keys.length;
    let result: unknown;
    if (table.format === 'compact' && row.format === 'compact' && next.format === 'compact') {
      result = await exec.query(
        `UPDATE ${q(table.table)} SET ${q(table.column)} = $${n + 1} WHERE ${keyWhere} AND ${q(table.column)} = $${n + 2} RETURNING 1`,
        [...keyValues, next.blob, row.blob],
      );
    } else if (table.format === 'columns' && row.format === 'columns' && next.format === 'columns') {
      result = await exec.query(
        `UPDATE ${q(table.table)} SET "encrypted_dek" = $${n + 1}, "dek_nonce" = $${n + 2}, "kek_id" = $${n + 3}
         WHERE ${keyWhere} AND "kek_id" = $${n + 4} AND "encrypted_dek" = $${n + 5} RETURNING 1`,
        [...keyValues, next.encryptedDek, next.dekNonce, next.kekId, row.kekId, row.encryptedDek],
      );
    } else {
      throw new Error(`Format mismatch while re-wrapping ${table.table}`);
    }
    // TypeORM answers UPDATE … RETURNING with [rows, affected] on PostgreSQL.
    const rows = Array.isArray(result) && Array.isArray(result[0]) ? (result[0] as unknown[]) : (result as unknown[]);
    return rows.length > 0;
  }
}

/** `kek_id` of a compact value as hex, in SQL. */
function kekIdSql(column: string): string {
  return `encode(substring(${q(column)} from 2 for 8), 'hex')`;
}

function underKek(table: EncryptedTable, param: string): string {
  return table.format === 'compact'
    ? `substring(${q(table.column)} from 1 for 1) = '\\x01'::bytea AND substring(${q(table.column)} from 2 for 8) = ${param}`
    : `"kek_id" = ${param}`;
}

function matchValue(table: EncryptedTable, kekId: string): string | Buffer {
  return table.format === 'compact' ? Buffer.from(kekId, 'hex') : kekId;
}
