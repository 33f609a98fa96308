import type { Logger as PinoLogger } from 'pino';
import { Counter } from 'prom-client';
import type { Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import { METRICS_REGISTRY } from '@ailink/gateway-core';

function queryCounter(): Counter {
  const existing = METRICS_REGISTRY.getSingleMetric('ailink_db_queries_total');
  if (existing) return existing as Counter;
  return new Counter({
    name: 'ailink_db_queries_total',
    help: 'SQL statements sent to PostgreSQL by this process',
    registers: [METRICS_REGISTRY],
  });
}

/**
 * TypeORM logger that counts every statement (`ailink_db_queries_total`, which lets tests and
 * operators verify that the proxy hot path makes no database round trip) and routes errors to pino.
 * Query text is never logged: parameters may hold secrets.
 */
export class QueryCountingLogger implements TypeOrmLogger {
  private readonly counter = queryCounter();

  constructor(private readonly logger?: PinoLogger) {}

  logQuery(): void {
    this.counter.inc();
  }

  logQueryError(error: string | Error, _query: string, _parameters?: unknown[], _runner?: QueryRunner): void {
    this.logger?.error(
      { err: error instanceof Error ? { message: error.message, code: (error as { code?: string }).code } : { message: error } },
      'Database query failed',
    );
  }

  logQuerySlow(time: number): void {
    this.logger?.warn({ duration_ms: time }, 'Slow database query');
  }

  logSchemaBuild(): void {
    /* not logged */
  }

  logMigration(message: string): void {
    this.logger?.debug({ migration: message }, 'Migration');
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger?.warn({ source: 'typeorm' }, String(message));
  }
}
