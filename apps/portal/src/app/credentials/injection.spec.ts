import { defaultInjectionFor, defaultInjectionHeaderFor } from './injection';

describe('default injection (vault-and-spend.md §2)', () => {
  it.each([
    ['anthropic', 'header', 'x-api-key'],
    ['Gemini', 'header', 'x-goog-api-key'],
    ['google', 'header', 'x-goog-api-key'],
    ['azure', 'header', 'api-key'],
    ['azure_openai', 'header', 'api-key'],
    ['bedrock', 'sigv4', null],
    ['aws', 'sigv4', null],
    ['openai', 'bearer', 'Authorization'],
    ['my-llm', 'bearer', 'Authorization'],
  ])('%s → %s %s', (provider, mode, header) => {
    expect(defaultInjectionFor(provider)).toEqual({ mode, header });
  });

  it('per mode when a mode is chosen without a header', () => {
    expect(defaultInjectionHeaderFor('query')).toBe('key');
    expect(defaultInjectionHeaderFor('sigv4')).toBeNull();
    expect(defaultInjectionHeaderFor('basic')).toBe('Authorization');
  });
});
