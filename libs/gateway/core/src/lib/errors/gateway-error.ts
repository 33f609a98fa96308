import type { ValidationProblem } from '@ailink/shared-contracts';
import { ErrorCode } from './error-codes';

export interface GatewayErrorOptions {
  details?: Record<string, unknown>;
  /** Overrides the mapped status where the code allows it (e.g. `deny.status` for policy_denied). */
  status?: number;
  /** Extra response headers (e.g. `Allow` for 405, `Retry-After` for 429). */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The domain exception: services throw this with a code; the global filter turns it into the
 * documented error envelope. Services never throw HTTP exceptions.
 */
export class GatewayError extends Error {
  readonly details?: Record<string, unknown>;
  readonly status?: number;
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.details = options.details;
    this.status = options.status;
    this.headers = options.headers;
  }

  static validation(errors: ValidationProblem[], message = 'The request is not valid'): GatewayError {
    return new GatewayError(ErrorCode.ValidationError, message, { details: { errors } });
  }

  static notFound(what = 'Resource'): GatewayError {
    return new GatewayError(ErrorCode.NotFound, `${what} not found`);
  }
}
