import { Injectable } from '@nestjs/common';
import type { ReadinessResponse } from '@ailink/shared-contracts';
import { AppConfig } from '@ailink/gateway-core';
import { DatabaseHealth } from '@ailink/gateway-database';
import { KeyValueStore } from '@ailink/gateway-redis';

/** Spec: ready when PostgreSQL and Redis both answer a ping within 1 s. */
export const READINESS_TIMEOUT_MS = 1000;

@Injectable()
export class ReadinessService {
  constructor(
    private readonly config: AppConfig,
    private readonly database: DatabaseHealth,
    private readonly store: KeyValueStore,
  ) {}

  async check(): Promise<ReadinessResponse> {
    const [postgres, redis] = await Promise.all([this.database.ping(READINESS_TIMEOUT_MS), this.store.ping(READINESS_TIMEOUT_MS)]);
    const base = { version: this.config.version, mode: this.config.mode };
    if (postgres && redis) return { status: 'ok', ...base };
    return { status: 'unavailable', postgres, redis, ...base };
  }
}
