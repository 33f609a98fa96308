import { Injectable } from '@nestjs/common';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { AppConfig } from '@ailink/gateway-core';

/** The Prometheus registry: process and Node.js runtime metrics now; request metrics plug in later. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  constructor(config: AppConfig) {
    collectDefaultMetrics({ register: this.registry });
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
