import { Controller, Get, Header, Headers, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AppConfig, ErrorCode, GatewayError, Public } from '@ailink/gateway-core';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

/** Route family 1 (operations): liveness, readiness and metrics, outside `/api/v1`. */
@ApiTags('operations')
@Controller()
@Public()
export class OperationsController {
  private readonly metricsDigest?: Buffer;

  constructor(
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    this.metricsDigest = config.metricsToken ? digest(config.metricsToken) : undefined;
  }

  @Get('healthz')
  @Header('content-type', 'text/plain; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Liveness: `ok` while the process runs' })
  healthz(): string {
    return 'ok';
  }

  @Get('readyz')
  @ApiOkResponse({ description: '`{status: "ok", version, mode}`' })
  @ApiServiceUnavailableResponse({ description: '`{status: "unavailable", postgres, redis, version, mode}`' })
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const result = await this.readiness.check();
    await reply
      .status(result.status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(result);
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  async prometheus(@Headers('authorization') authorization: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    if (this.metricsDigest) {
      const presented = authorization?.match(/^Bearer (.+)$/i)?.[1] ?? '';
      if (!timingSafeEqual(digest(presented), this.metricsDigest)) {
        throw new GatewayError(ErrorCode.Unauthorized, 'Metrics require Authorization: Bearer <AILINK_METRICS_TOKEN>');
      }
    }
    await reply.header('content-type', this.metrics.contentType).send(await this.metrics.render());
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
