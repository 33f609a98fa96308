import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ERROR_MAP, ErrorCode } from './error-codes';
import { toErrorResponse } from './error-envelope';
import { GatewayError } from './gateway-error';

describe('toErrorResponse', () => {
  const rid = 'req_' + '0'.repeat(32);

  it('maps a domain error through the single code table', () => {
    const r = toErrorResponse(
      new GatewayError(ErrorCode.SpendCapReached, 'Daily spend cap of $5.00 reached', { details: { period: 'daily' } }),
      rid,
    );
    expect(r.status).toBe(402);
    expect(r.body).toEqual({
      error: {
        code: 'spend_cap_reached',
        message: 'Daily spend cap of $5.00 reached',
        type: 'billing_error',
        request_id: rid,
        details: { period: 'daily' },
      },
    });
    expect(r.unexpected).toBe(false);
  });

  it('omits details when the code defines none', () => {
    const r = toErrorResponse(new GatewayError(ErrorCode.Unauthorized, 'no'), rid);
    expect(r.body.error).not.toHaveProperty('details');
    expect(r.body.error.type).toBe('authentication_error');
  });

  it('keeps a status override and extra headers', () => {
    const r = toErrorResponse(new GatewayError(ErrorCode.PolicyDenied, 'denied', { status: 451, headers: { 'retry-after': '3' } }), rid);
    expect(r.status).toBe(451);
    expect(r.headers).toEqual({ 'retry-after': '3' });
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'unsupported_media_type'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'bad_request'],
  ])('maps Fastify %s to %i %s', (code, status, ours) => {
    const r = toErrorResponse(Object.assign(new Error('x'), { code, statusCode: status }), rid);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(ours);
  });

  it('maps framework HTTP exceptions by status', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /x'), rid).body.error).toMatchObject({
      code: 'not_found',
      message: 'Not found',
    });
    expect(toErrorResponse(new BadRequestException('bad'), rid).body.error).toMatchObject({
      code: 'bad_request',
      type: 'invalid_request_error',
    });
  });

  it('hides the text of unexpected errors, which may carry internals', () => {
    const r = toErrorResponse(new Error('password=hunter2 at db'), rid);
    expect(r.status).toBe(500);
    expect(r.unexpected).toBe(true);
    expect(JSON.stringify(r.body)).not.toContain('hunter2');
    expect(r.body.error).toMatchObject({ code: 'internal_server_error', type: 'internal_error' });
  });

  it('maps every code to a 4xx/5xx status', () => {
    for (const mapping of Object.values(ERROR_MAP)) {
      expect(mapping.status).toBeGreaterThanOrEqual(400);
      expect(mapping.status).toBeLessThan(600);
    }
  });
});
