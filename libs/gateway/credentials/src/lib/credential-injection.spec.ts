import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import { defaultHeaderFor, defaultInjection, parseInjectionHeader, resolveInjection } from './credential-injection';

function expectBadRequest(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe(ErrorCode.BadRequest);
    return;
  }
  throw new Error('expected a 400');
}

describe('default injection by provider', () => {
  it.each([
    ['anthropic', 'header', 'x-api-key'],
    ['gemini', 'header', 'x-goog-api-key'],
    ['google', 'header', 'x-goog-api-key'],
    ['azure', 'header', 'api-key'],
    ['azure_openai', 'header', 'api-key'],
    ['bedrock', 'sigv4', null],
    ['aws', 'sigv4', null],
    ['openai', 'bearer', 'Authorization'],
    ['groq', 'bearer', 'Authorization'],
    ['something-else', 'bearer', 'Authorization'],
    ['Anthropic', 'header', 'x-api-key'],
  ])('%s → %s %s', (provider, mode, header) => {
    expect(defaultInjection(provider)).toEqual({ mode, header });
    expect(resolveInjection(provider, undefined, undefined)).toEqual({ mode, header });
  });
});

describe('resolveInjection', () => {
  it('uses the default header of an explicit mode', () => {
    expect(resolveInjection('openai', 'basic', undefined)).toEqual({ mode: 'basic', header: 'Authorization' });
    expect(resolveInjection('openai', 'header', undefined)).toEqual({ mode: 'header', header: 'Authorization' });
    expect(resolveInjection('openai', 'query', undefined)).toEqual({ mode: 'query', header: 'key' });
    expect(resolveInjection('openai', 'sigv4', 'X-Ignored')).toEqual({ mode: 'sigv4', header: null });
  });

  it("prefers the provider's header when the explicit mode is the provider's default", () => {
    expect(resolveInjection('anthropic', 'header', undefined)).toEqual({ mode: 'header', header: 'x-api-key' });
    expect(defaultHeaderFor('bearer', 'anthropic')).toBe('Authorization');
  });

  it('keeps a given header (trimmed) and a given query parameter', () => {
    expect(resolveInjection('custom', 'header', ' X-Custom-Key ')).toEqual({ mode: 'header', header: 'X-Custom-Key' });
    expect(resolveInjection('custom', 'query', 'api_key')).toEqual({ mode: 'query', header: 'api_key' });
  });

  it('answers 400 for an invalid mode', () => {
    expectBadRequest(() => resolveInjection('openai', 'oauth', undefined));
    expectBadRequest(() => resolveInjection('openai', 'BEARER', undefined));
    expectBadRequest(() => resolveInjection('openai', '', undefined));
  });

  it('answers 400 for an invalid header name', () => {
    for (const header of [
      '',
      '   ',
      'X Bad',
      'x-bad:',
      'bad\r\nx-injected: 1',
      'é',
      'a'.repeat(129),
      'Host',
      'content-length',
      'Transfer-Encoding',
      'connection',
    ]) {
      expectBadRequest(() => resolveInjection('openai', 'header', header));
    }
    expectBadRequest(() => parseInjectionHeader(42, 'bearer'));
  });
});
