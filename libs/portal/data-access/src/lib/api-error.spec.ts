import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { ApiError, NETWORK_ERROR_CODE, isErrorEnvelope, toApiError, validationProblems } from './api-error';

describe('toApiError', () => {
  it('maps the documented error envelope', () => {
    const error = toApiError(
      new HttpErrorResponse({
        status: 403,
        error: {
          error: {
            code: 'forbidden',
            message: 'Scope tokens:write required',
            type: 'permission_error',
            request_id: 'req_0123456789abcdef0123456789abcdef',
            details: { scope: 'tokens:write' },
          },
        },
      }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      status: 403,
      code: 'forbidden',
      message: 'Scope tokens:write required',
      type: 'permission_error',
      requestId: 'req_0123456789abcdef0123456789abcdef',
      details: { scope: 'tokens:write' },
    });
  });

  it('parses an envelope delivered as text', () => {
    const error = toApiError(
      new HttpErrorResponse({
        status: 404,
        error: JSON.stringify({
          error: { code: 'not_found', message: 'No such route', type: 'invalid_request_error', request_id: 'req_1' },
        }),
      }),
    );
    expect(error.code).toBe('not_found');
    expect(error.message).toBe('No such route');
  });

  it('maps a response without the envelope using the status and the x-request-id header', () => {
    const error = toApiError(
      new HttpErrorResponse({
        status: 502,
        statusText: 'Bad Gateway',
        error: '<html>bad gateway</html>',
        headers: new HttpHeaders({ 'x-request-id': 'req_abc' }),
      }),
    );
    expect(error).toMatchObject({ status: 502, code: 'http_502', requestId: 'req_abc', type: null });
    expect(error.message).toBe('The gateway answered HTTP 502 Bad Gateway.');
  });

  it('maps a network failure (status 0) to network_error', () => {
    const error = toApiError(new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') }));
    expect(error.code).toBe(NETWORK_ERROR_CODE);
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/could not be reached/);
  });

  it('returns an ApiError unchanged and wraps other values', () => {
    const original = new ApiError(401, 'unauthorized', 'No');
    expect(toApiError(original)).toBe(original);
    expect(toApiError(new TypeError('boom'))).toMatchObject({ code: 'client_error', message: 'boom' });
  });

  it('recognises only well-formed envelopes', () => {
    expect(isErrorEnvelope({ error: { code: 'x', message: 'y' } })).toBe(true);
    expect(isErrorEnvelope({ error: 'x' })).toBe(false);
    expect(isErrorEnvelope({ error: { message: 'y' } })).toBe(false);
    expect(isErrorEnvelope(null)).toBe(false);
  });
});

describe('validationProblems', () => {
  it('lists the {path, message} entries of details.errors and ignores malformed ones', () => {
    const error = new ApiError(422, 'validation_error', 'Invalid', 'req_1', 'invalid_request_error', {
      errors: [{ path: '$.name', message: 'required' }, { path: 1 }, 'x'],
    });
    expect(validationProblems(error)).toEqual([{ path: '$.name', message: 'required' }]);
  });

  it('is empty without details', () => {
    expect(validationProblems(new ApiError(409, 'conflict', 'Exists'))).toEqual([]);
  });
});
