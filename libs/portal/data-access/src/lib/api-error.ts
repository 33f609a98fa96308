import { HttpErrorResponse } from '@angular/common/http';
import type { ErrorEnvelope, ErrorType, ValidationProblem } from '@ailink/shared-contracts';

/** Code used when the browser could not reach the gateway at all (no HTTP status). */
export const NETWORK_ERROR_CODE = 'network_error';

/**
 * A failed gateway call in one typed shape: the documented error envelope
 * (`{"error":{"code","message","type","request_id"}}`) plus the HTTP status.
 * Responses that do not carry the envelope (proxies, network failures) are mapped too,
 * so callers only ever handle `ApiError`.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
    readonly type: ErrorType | null = null,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isErrorEnvelope(body: unknown): body is ErrorEnvelope {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** Maps any error thrown by `HttpClient` (or anything else) to an `ApiError`. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (!(error instanceof HttpErrorResponse)) {
    const message = error instanceof Error ? error.message : String(error);
    return new ApiError(0, 'client_error', message);
  }
  const headerRequestId = error.headers?.get('x-request-id') ?? null;
  const body = parseBody(error.error);
  if (isErrorEnvelope(body)) {
    const e = body.error;
    return new ApiError(
      error.status,
      e.code,
      e.message,
      typeof e.request_id === 'string' ? e.request_id : headerRequestId,
      e.type ?? null,
      e.details,
    );
  }
  if (error.status === 0) {
    return new ApiError(0, NETWORK_ERROR_CODE, 'The gateway could not be reached. Check that it is running and try again.', null);
  }
  const statusText = error.statusText && error.statusText !== 'OK' ? ` ${error.statusText}` : '';
  return new ApiError(error.status, `http_${error.status}`, `The gateway answered HTTP ${error.status}${statusText}.`, headerRequestId);
}

/** Error bodies may arrive as text (e.g. when the response type was not JSON). */
function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** The `{path, message}` list of a 422 `validation_error` (`details.errors[]`), empty for other errors. */
export function validationProblems(error: ApiError): ValidationProblem[] {
  const errors = error.details?.['errors'];
  if (!Array.isArray(errors)) return [];
  return errors.filter(
    (e): e is ValidationProblem =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as ValidationProblem).path === 'string' &&
      typeof (e as ValidationProblem).message === 'string',
  );
}
