import { createValidationPipe, GatewayError } from '@ailink/gateway-core';
import { CreateServiceDto, UpdateServiceDto } from './services.dto';

const pipe = createValidationPipe();
const run = (metatype: new () => object, value: unknown) => pipe.transform(value, { type: 'body', metatype });

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return (error as GatewayError).code;
}

describe('service request validation', () => {
  it('accepts a minimal body and drops unknown fields', async () => {
    await expect(run(CreateServiceDto, { name: 'crm', base_url: 'https://crm.example.com', x: 1 })).resolves.toEqual({
      name: 'crm',
      base_url: 'https://crm.example.com',
    });
  });

  it('answers 400 for missing fields and wrong types', async () => {
    expect(await code(run(CreateServiceDto, { name: 'crm' }))).toBe('bad_request');
    expect(await code(run(CreateServiceDto, { name: 'crm', base_url: 5 }))).toBe('bad_request');
    expect(await code(run(UpdateServiceDto, { is_active: 'no' }))).toBe('bad_request');
  });

  it.each(['a/b', '-lead', 'has space', 'x'.repeat(101), 'ünïcode'])(
    'answers 422 for the service name %s (one path segment)',
    async (name) => {
      expect(await code(run(CreateServiceDto, { name, base_url: 'https://x.example' }))).toBe('validation_error');
    },
  );

  it.each(['crm', 'my-svc.v2', 'A_1'])('accepts the service name %s', async (name) => {
    await expect(run(CreateServiceDto, { name, base_url: 'https://x.example' })).resolves.toMatchObject({ name });
  });

  it('lets PATCH clear description and credential_id with null', async () => {
    await expect(run(UpdateServiceDto, { description: null, credential_id: null })).resolves.toEqual({
      description: null,
      credential_id: null,
    });
  });
});
