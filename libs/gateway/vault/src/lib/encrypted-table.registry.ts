import { Injectable } from '@nestjs/common';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

interface EncryptedTableBase {
  /** Table name (snake_case, unquoted identifier). */
  table: string;
  /** Primary-key columns, used to address rows in the guarded UPDATE. Default `['id']`. */
  keyColumns?: string[];
  /**
   * SQL condition selecting rows that may still be decrypted (e.g. `"deleted_at" IS NULL`). Only
   * those count for the startup check against unknown `kek_id`s; the re-wrap covers every row.
   */
  liveCondition?: string;
  /**
   * Called after each committed re-wrap batch with the keys of the rewritten rows (cache
   * invalidation, events). Must not use the database pool synchronously with the batch: it runs
   * after the commit. Errors are logged and do not stop the re-wrap.
   */
  onRewrapped?: (keys: Record<string, unknown>[]) => Promise<void>;
}

/** A table with the five envelope columns `encrypted_dek, dek_nonce, encrypted_secret, secret_nonce, kek_id`. */
export interface EnvelopeColumnsTable extends EncryptedTableBase {
  format: 'columns';
}

/** A table with one nullable bytea column in the compact sealed format (name ends in `_enc`). */
export interface CompactColumnTable extends EncryptedTableBase {
  format: 'compact';
  column: string;
}

export type EncryptedTable = EnvelopeColumnsTable | CompactColumnTable;

/**
 * Where encrypted values live, for the master-key re-wrap, the `rows_by_kek_id` report and the
 * startup check. Each feature that stores secrets registers its tables from `onModuleInit` (the vault
 * reads the registry from `onApplicationBootstrap`, after every module has initialised).
 */
@Injectable()
export class EncryptedTableRegistry {
  private readonly tables = new Map<string, EncryptedTable>();

  register(table: EncryptedTable): void {
    const keys = table.keyColumns ?? ['id'];
    for (const name of [table.table, ...keys, ...(table.format === 'compact' ? [table.column] : [])]) {
      if (!IDENTIFIER.test(name)) throw new Error(`Invalid identifier "${name}" in encrypted table registration`);
    }
    if (keys.length === 0) throw new Error(`Encrypted table ${table.table} needs at least one key column`);
    const id = registrationId(table);
    this.tables.set(id, { ...table, keyColumns: keys });
  }

  /** Registered tables (key columns filled in), in registration order. */
  list(): EncryptedTable[] {
    return [...this.tables.values()];
  }
}

function registrationId(table: EncryptedTable): string {
  return table.format === 'compact' ? `${table.table}.${table.column}` : table.table;
}
