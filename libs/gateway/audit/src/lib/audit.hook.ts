import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '@ailink/gateway-core';
import type { ProxyCompletionHook, ProxyContext } from '@ailink/gateway-proxy';
import { buildAuditRecord } from './audit-record.builder';
import { AuditMetrics } from './audit.metrics';
import { AuditWriter } from './audit.writer';

/**
 * The proxy's audit step: after every proxied request (response sent or request failed), one record
 * into the writer's buffer. Synchronous, no I/O, never throws. Requests refused before token
 * authentication carry no token and produce no record.
 */
@Injectable()
export class AuditHook implements ProxyCompletionHook {
  readonly name = 'audit';

  constructor(
    private readonly writer: AuditWriter,
    private readonly metrics: AuditMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  complete(ctx: ProxyContext): void {
    try {
      const record = buildAuditRecord(ctx);
      if (record) this.writer.enqueue(record);
    } catch (error) {
      this.metrics.dropped.inc();
      this.logger.error({ err: error, request_id: ctx.requestId }, 'Audit: could not build the record of a request');
    }
  }
}
