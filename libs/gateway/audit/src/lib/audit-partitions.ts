import type { AuditPartitionUnit } from '@ailink/gateway-core';

/** The two tables partitioned by `created_at` (audit-and-observability.md §3). */
export const PARTITIONED_AUDIT_TABLES = ['audit_logs', 'audit_log_bodies'] as const;
export type PartitionedAuditTable = (typeof PARTITIONED_AUDIT_TABLES)[number];

/** One range partition: `{table}_p{suffix}` holds `from <= created_at < to`. */
export interface AuditPartitionRange {
  suffix: string;
  from: Date;
  to: Date;
}

/** `audit_logs_p2026_11` (month) or `audit_logs_p2026_11_25` (day). */
export function partitionName(table: PartitionedAuditTable, range: AuditPartitionRange): string {
  return `${table}_p${range.suffix}`;
}

export function defaultPartitionName(table: PartitionedAuditTable): string {
  return `${table}_default`;
}

/** The UTC period containing `at`, and `ahead` periods after it, oldest first. */
export function partitionRanges(at: Date, unit: AuditPartitionUnit, ahead: number): AuditPartitionRange[] {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const d = at.getUTCDate();
  const ranges: AuditPartitionRange[] = [];
  for (let i = 0; i <= ahead; i++) {
    const from = unit === 'month' ? new Date(Date.UTC(y, m + i, 1)) : new Date(Date.UTC(y, m, d + i));
    const to = unit === 'month' ? new Date(Date.UTC(y, m + i + 1, 1)) : new Date(Date.UTC(y, m, d + i + 1));
    const iso = from.toISOString();
    const suffix = unit === 'month' ? `${iso.slice(0, 4)}_${iso.slice(5, 7)}` : `${iso.slice(0, 4)}_${iso.slice(5, 7)}_${iso.slice(8, 10)}`;
    ranges.push({ suffix, from, to });
  }
  return ranges;
}
