import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@ailink/gateway-core';

function counter(registry: Registry, name: string, help: string): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string): Gauge {
  return (registry.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, registers: [registry] });
}

/** The `ailink_audit_*` metrics (audit-and-observability.md §7), registered once per registry. */
export class AuditMetrics {
  /** Records waiting in this process's buffer. */
  readonly buffered: Gauge;
  /** The spec's name for the same gauge. */
  readonly queueDepth: Gauge;
  readonly flushed: Counter;
  readonly flushFailures: Counter;
  readonly spilled: Counter;
  readonly dropped: Counter;
  readonly defaultPartitionRows: Counter;
  readonly flushSeconds: Histogram;

  constructor(readonly registry: Registry = METRICS_REGISTRY) {
    this.buffered = gauge(registry, 'ailink_audit_buffered', 'Audit records buffered in this process, waiting for a flush');
    this.queueDepth = gauge(registry, 'ailink_audit_queue_depth', 'Audit records buffered in this process (same as ailink_audit_buffered)');
    this.flushed = counter(registry, 'ailink_audit_flushed_total', 'Audit records written to PostgreSQL');
    this.flushFailures = counter(registry, 'ailink_audit_flush_failures_total', 'Audit batch writes that failed (retried with backoff)');
    this.spilled = counter(registry, 'ailink_audit_spilled_total', 'Audit records moved to the Redis spill list on buffer overflow');
    this.dropped = counter(
      registry,
      'ailink_audit_dropped_total',
      'Audit records lost: buffer full and the spill list unavailable or full',
    );
    this.defaultPartitionRows = counter(
      registry,
      'ailink_audit_default_partition_rows',
      'Audit rows found in the DEFAULT partition (outside every range partition)',
    );
    this.flushSeconds =
      (registry.getSingleMetric('ailink_audit_flush_seconds') as Histogram | undefined) ??
      new Histogram({
        name: 'ailink_audit_flush_seconds',
        help: 'Duration of one audit batch write',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      });
  }

  setBuffered(count: number): void {
    this.buffered.set(count);
    this.queueDepth.set(count);
  }
}
