import { randomUUID } from 'node:crypto';
import type { OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AuditPartitionUnit } from '@ailink/gateway-core';
import type { KeyValueStore } from '@ailink/gateway-redis';
import { AUDIT_MAINTENANCE_LOCK_KEY } from './audit.constants';
import type { AuditMetrics } from './audit.metrics';
import type { AuditPartitionRepository, PartitionOutcome } from './audit-partition.repository';
import { PARTITIONED_AUDIT_TABLES, partitionName, partitionRanges } from './audit-partitions';

export interface AuditPartitionOptions {
  /** `AILINK_AUDIT_PARTITION`. */
  unit: AuditPartitionUnit;
  /** `AILINK_AUDIT_PARTITIONS_AHEAD`. */
  ahead: number;
  /** Default one hour. */
  intervalMs?: number;
}

const LOCK_TTL_SECS = 60;

/**
 * The audit maintenance job (audit-and-observability.md §3), at startup and hourly, on one instance
 * at a time (Redis lock `ailink:lock:audit-maintenance`): the partitions of the current period and
 * the next `AILINK_AUDIT_PARTITIONS_AHEAD` exist for both partitioned tables, rows that had to land in
 * a DEFAULT partition are moved into their range partition once it exists, and rows found in a
 * DEFAULT partition are logged and counted (`ailink_audit_default_partition_rows`).
 * Retention (dropping old partitions) is not part of this job yet.
 */
export class AuditPartitionService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private readonly instance = randomUUID();
  private readonly defaultRowsSeen = new Map<string, number>();

  constructor(
    private readonly repository: AuditPartitionRepository,
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
    private readonly metrics: AuditMetrics,
    private readonly options: AuditPartitionOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runMaintenance();
    this.timer = setInterval(() => void this.runMaintenance(), this.options.intervalMs ?? 3_600_000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * One maintenance run under the singleton lock; false when another instance holds it. If Redis
   * cannot be asked, the run goes ahead anyway: every step is idempotent and safe to race.
   */
  async runMaintenance(now = new Date()): Promise<boolean> {
    let locked: boolean;
    let lockable = true;
    try {
      locked = await this.store.setIfAbsent(AUDIT_MAINTENANCE_LOCK_KEY, this.instance, LOCK_TTL_SECS);
    } catch (error) {
      this.logger.warn({ err: error }, 'Audit maintenance: Redis unavailable for the lock; running without it');
      locked = true;
      lockable = false;
    }
    if (!locked) return false;
    try {
      await this.ensurePartitions(now);
    } catch (error) {
      this.logger.error({ err: error }, 'Audit maintenance failed; retried at the next run');
    } finally {
      if (lockable) await this.releaseLock();
    }
    return true;
  }

  /** Creates what is missing (see the class comment); returns what happened per partition. */
  async ensurePartitions(now = new Date()): Promise<Record<string, PartitionOutcome>> {
    const outcomes: Record<string, PartitionOutcome> = {};
    const ranges = partitionRanges(now, this.options.unit, this.options.ahead);
    for (const table of PARTITIONED_AUDIT_TABLES) {
      const existing = new Set(await this.repository.partitions(table));
      for (const range of ranges) {
        const name = partitionName(table, range);
        const outcome = await this.repository.ensurePartition(table, range, existing);
        outcomes[name] = outcome;
        if (outcome === 'created') this.logger.info({ partition: name }, 'Audit: partition created');
        if (outcome === 'moved_from_default') {
          this.logger.warn({ partition: name }, 'Audit: partition created and rows moved into it from the DEFAULT partition');
        }
      }
      const rows = await this.repository.defaultPartitionRows(table);
      const seen = this.defaultRowsSeen.get(table) ?? 0;
      if (rows > seen) {
        this.metrics.defaultPartitionRows.inc(rows - seen);
        this.logger.warn({ table, rows }, 'Audit: rows outside every range partition are in the DEFAULT partition');
      }
      this.defaultRowsSeen.set(table, rows);
    }
    return outcomes;
  }

  private async releaseLock(): Promise<void> {
    try {
      if ((await this.store.get(AUDIT_MAINTENANCE_LOCK_KEY)) === this.instance) await this.store.del(AUDIT_MAINTENANCE_LOCK_KEY);
    } catch {
      // The lock expires on its own.
    }
  }
}
