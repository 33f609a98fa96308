import { createValidationPipe, GatewayError } from '@ailink/gateway-core';
import { CreateTokenDto, ListTokensQueryDto, UpdateTokenDto } from './tokens.dto';

const pipe = createValidationPipe();
const body = (metatype: new () => object, value: unknown) => pipe.transform(value, { type: 'body', metatype });
const query = (value: unknown) => pipe.transform(value, { type: 'query', metatype: ListTokensQueryDto });

async function failure(promise: Promise<unknown>): Promise<{ code: string; paths: string[] }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  const g = error as GatewayError;
  return { code: g.code, paths: ((g.details?.['errors'] ?? []) as { path: string }[]).map((e) => e.path) };
}

const valid = { name: 'agent', upstream_url: 'https://api.openai.com' };

describe('token request validation (global ValidationPipe)', () => {
  it('accepts a minimal create body and drops unknown top-level fields', async () => {
    await expect(body(CreateTokenDto, { ...valid, surprise: 1 })).resolves.toEqual(valid);
  });

  it('answers 400 for missing required fields and wrong types', async () => {
    expect(await failure(body(CreateTokenDto, { name: 'a' }))).toEqual({ code: 'bad_request', paths: ['$.upstream_url'] });
    expect((await failure(body(CreateTokenDto, { ...valid, log_level: '1' }))).code).toBe('bad_request');
    expect((await failure(body(CreateTokenDto, { ...valid, upstreams: ['https://x'] }))).code).toBe('bad_request');
    expect((await failure(body(CreateTokenDto, { ...valid, upstreams: [{ weight: 5 }] }))).paths).toEqual(['$.upstreams[0].url']);
    expect((await failure(body(CreateTokenDto, { ...valid, expires_at: 12 }))).code).toBe('bad_request');
  });

  it('answers 422 for well-typed values that break a rule', async () => {
    expect(await failure(body(CreateTokenDto, { ...valid, log_level: 3 }))).toEqual({ code: 'validation_error', paths: ['$.log_level'] });
    expect(await failure(body(CreateTokenDto, { ...valid, log_level_name: 'verbose' }))).toEqual({
      code: 'validation_error',
      paths: ['$.log_level_name'],
    });
    expect(await failure(body(CreateTokenDto, { ...valid, credential_id: 'nope' }))).toEqual({
      code: 'validation_error',
      paths: ['$.credential_id'],
    });
    expect(await failure(body(CreateTokenDto, { ...valid, name: '' }))).toEqual({ code: 'validation_error', paths: ['$.name'] });
    expect(await failure(body(CreateTokenDto, { ...valid, expires_at: 'tomorrow' }))).toEqual({
      code: 'validation_error',
      paths: ['$.expires_at'],
    });
  });

  it('lets PATCH bodies be partial, with explicit nulls and suspended', async () => {
    await expect(body(UpdateTokenDto, { credential_id: null, suspended: true, project_id: 'x' })).resolves.toEqual({
      credential_id: null,
      suspended: true,
    });
    expect((await failure(body(UpdateTokenDto, { suspended: 'yes' }))).code).toBe('bad_request');
  });

  it('parses list query strings (booleans true/1/false/0, bounded limit)', async () => {
    await expect(query({ include_inactive: '1', limit: '10', offset: '5' })).resolves.toEqual({
      include_inactive: true,
      limit: 10,
      offset: 5,
    });
    await expect(query({ include_inactive: 'false' })).resolves.toEqual({ include_inactive: false });
    expect((await failure(query({ include_inactive: 'maybe' }))).code).toBe('bad_request');
    expect((await failure(query({ limit: 'ten' }))).code).toBe('bad_request');
    expect(await failure(query({ limit: '1001' }))).toEqual({ code: 'validation_error', paths: ['$.limit'] });
    expect(await failure(query({ offset: '-1' }))).toEqual({ code: 'validation_error', paths: ['$.offset'] });
  });
});
