import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/app-config';
import { requestContext } from './request-context';

/** Header and field paths whose values never reach a log line. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["x-admin-key"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-goog-api-key"]',
  'req.headers["api-key"]',
  'req.headers["x-real-authorization"]',
  'req.headers["x-upstream-authorization"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.adminKey',
  '*.masterKey',
];

/** The process logger: pino, JSON or human-readable text, with the request id mixed into every line. */
export function createLogger(options: { format: LogFormat; level: LogLevel; destination?: NodeJS.WritableStream }): Logger {
  const base: pino.LoggerOptions = {
    level: options.level,
    base: { service: 'ailink-gateway' },
    redact: { paths: REDACTED_LOG_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const ctx = requestContext.getStore();
      return ctx ? { request_id: ctx.requestId } : {};
    },
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.format === 'text') {
    return pino(
      base,
      pinoPretty({
        sync: true,
        colorize: false,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        destination: options.destination ?? 1,
      }),
    );
  }
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** Routes Nest's own logging (bootstrap, exceptions) through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
