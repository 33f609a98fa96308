import { Counter, Gauge, type Registry } from 'prom-client';
import { METRICS_REGISTRY } from '@ailink/gateway-core';

function counter(registry: Registry, name: string, help: string): Counter {
  return (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, registers: [registry] });
}

/** The `ailink_admin_audit_*` metrics, registered once per registry. */
export class AdminAuditMetrics {
  readonly buffered: Gauge;
  readonly written: Counter;
  readonly spilled: Counter;
  readonly dropped: Counter;
  readonly flushFailures: Counter;

  constructor(registry: Registry = METRICS_REGISTRY) {
    this.buffered =
      (registry.getSingleMetric('ailink_admin_audit_buffered') as Gauge | undefined) ??
      new Gauge({ name: 'ailink_admin_audit_buffered', help: 'Admin audit records buffered in this process', registers: [registry] });
    this.written = counter(registry, 'ailink_admin_audit_written_total', 'Admin audit records written to PostgreSQL');
    this.spilled = counter(registry, 'ailink_admin_audit_spilled_total', 'Admin audit records moved to the Redis spill list');
    this.dropped = counter(
      registry,
      'ailink_admin_audit_dropped_total',
      'Admin audit records lost (PostgreSQL refused them, or no room to spill)',
    );
    this.flushFailures = counter(registry, 'ailink_admin_audit_flush_failures_total', 'Admin audit batch writes that failed (retried)');
  }
}
