import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LOGGER } from '../logging/logger.token';
import { toErrorResponse } from './error-envelope';

/** The single global filter: every exception becomes the documented error envelope. */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const response = toErrorResponse(exception, request.id);
    if (response.unexpected) {
      this.logger.error(
        { err: exception, request_id: request.id, method: request.method, url: request.routeOptions?.url },
        'Unhandled error',
      );
    }
    if (reply.sent) return;
    reply.status(response.status).headers(response.headers).header('cache-control', 'no-store').send(response.body);
  }
}
