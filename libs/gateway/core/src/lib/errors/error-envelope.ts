import type { ErrorEnvelope } from '@ailink/shared-contracts';
import { ERROR_MAP, ErrorCode } from './error-codes';
import { GatewayError } from './gateway-error';

export interface HttpErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorEnvelope;
}

/** Management error codes by HTTP status, for errors raised by the framework rather than our code. */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.BadRequest,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  415: ErrorCode.UnsupportedMediaType,
  422: ErrorCode.ValidationError,
  502: ErrorCode.UpstreamFailed,
};

/** Fastify's own error codes that reach us before a handler runs. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: ErrorCode.PayloadTooLarge, message: 'Request body is larger than the configured limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: ErrorCode.UnsupportedMediaType, message: 'Unsupported content type: send application/json' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: ErrorCode.BadRequest, message: 'Request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: ErrorCode.BadRequest, message: 'Request body is empty but content-type is application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: ErrorCode.BadRequest, message: 'Content-Length does not match the body' },
  FST_ERR_CTP_INVALID_TYPE: { code: ErrorCode.BadRequest, message: 'Invalid content-type header' },
};

export function envelope(
  code: ErrorCode,
  message: string,
  requestId: string,
  details?: Record<string, unknown>,
  status?: number,
): HttpErrorResponse {
  const mapping = ERROR_MAP[code];
  const body: ErrorEnvelope = { error: { code, message, type: mapping.type, request_id: requestId } };
  if (details !== undefined) body.error.details = details;
  return { status: status ?? mapping.status, headers: {}, body };
}

interface HttpLikeError {
  getStatus(): number;
  getResponse(): string | object;
}

function isHttpLike(error: unknown): error is HttpLikeError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as HttpLikeError).getStatus === 'function' &&
    typeof (error as HttpLikeError).getResponse === 'function'
  );
}

/**
 * Turns anything thrown while handling a request into the documented error envelope. Unknown
 * errors become a 500 with a generic message: their text may carry internals or secrets.
 */
export function toErrorResponse(error: unknown, requestId: string): HttpErrorResponse & { unexpected: boolean } {
  if (error instanceof GatewayError) {
    const response = envelope(error.code, error.message, requestId, error.details, error.status);
    return { ...response, headers: { ...(error.headers ?? {}) }, unexpected: false };
  }
  if (typeof error === 'object' && error !== null) {
    const fastifyCode = (error as { code?: unknown }).code;
    if (typeof fastifyCode === 'string' && FASTIFY_CODES[fastifyCode]) {
      const known = FASTIFY_CODES[fastifyCode];
      return { ...envelope(known.code, known.message, requestId), unexpected: false };
    }
  }
  if (isHttpLike(error)) {
    const status = error.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? ErrorCode.InternalServerError : ErrorCode.BadRequest);
    const raw = error.getResponse();
    const message = status === 404 ? 'Not found' : typeof raw === 'string' ? raw : (messageOf(raw) ?? 'Request failed');
    return {
      ...envelope(code, message, requestId, undefined, status >= 400 && status < 600 ? status : undefined),
      unexpected: status >= 500,
    };
  }
  const statusCode = typeof error === 'object' && error !== null ? (error as { statusCode?: unknown }).statusCode : undefined;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const code = CODE_BY_STATUS[statusCode] ?? ErrorCode.BadRequest;
    return { ...envelope(code, 'Request could not be processed', requestId, undefined, statusCode), unexpected: false };
  }
  return { ...envelope(ErrorCode.InternalServerError, 'Internal server error', requestId), unexpected: true };
}

function messageOf(raw: object): string | undefined {
  const message = (raw as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message) && typeof message[0] === 'string') return message.join('; ');
  return undefined;
}
