import { Injectable } from '@nestjs/common';
import { Gauge, collectDefaultMetrics } from 'prom-client';
import { AppConfig, METRICS_REGISTRY } from '@ailink/gateway-core';

/** The Prometheus registry: process and Node.js runtime metrics now; request metrics plug in later. */
@Injectable()
export class MetricsService {
  readonly registry = METRICS_REGISTRY;

  constructor(config: AppConfig) {
    if (!this.registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: this.registry });
    this.registry.removeSingleMetric('ailink_build_info');
    new Gauge({
      name: 'ailink_build_info',
      help: 'Gateway version and deployment mode (always 1)',
      labelNames: ['version', 'mode'],
      registers: [this.registry],
    }).set({ version: config.version, mode: config.mode }, 1);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
