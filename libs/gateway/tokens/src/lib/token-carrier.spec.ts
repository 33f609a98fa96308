import { readPresentedToken } from './token-carrier';

const TOKEN = 'ailink_v1_00000000_tok_' + 'a'.repeat(32);
const headers = (h: Record<string, string>) => (name: string) => h[name];

describe('readPresentedToken (proxy.md §2)', () => {
  it('reads Authorization: Bearer on the catch-all and service routes (scheme case-insensitive)', () => {
    for (const route of ['catch_all', 'service'] as const) {
      expect(readPresentedToken(route, headers({ authorization: `Bearer ${TOKEN}` }), '')).toEqual({
        value: TOKEN,
        carrier: 'authorization',
      });
      expect(readPresentedToken(route, headers({ authorization: `bearer  ${TOKEN} ` }), '')).toEqual({
        value: TOKEN,
        carrier: 'authorization',
      });
      expect(readPresentedToken(route, headers({ 'x-api-key': TOKEN }), '?key=' + TOKEN)).toBeNull();
      expect(readPresentedToken(route, headers({ authorization: `Basic ${TOKEN}` }), '')).toBeNull();
    }
  });

  it('reads x-api-key, then bearer, on /anthropic', () => {
    expect(readPresentedToken('anthropic', headers({ 'x-api-key': TOKEN, authorization: 'Bearer ailink_v1_other' }), '')).toEqual({
      value: TOKEN,
      carrier: 'x-api-key',
    });
    expect(readPresentedToken('anthropic', headers({ authorization: `Bearer ${TOKEN}` }), '')).toEqual({
      value: TOKEN,
      carrier: 'authorization',
    });
    // A provider key next to the virtual token does not hide the token.
    expect(readPresentedToken('anthropic', headers({ 'x-api-key': 'sk-ant-123', authorization: `Bearer ${TOKEN}` }), '')).toEqual({
      value: TOKEN,
      carrier: 'authorization',
    });
  });

  it('reads x-goog-api-key, then the key query parameter, then bearer, on /gemini', () => {
    expect(readPresentedToken('gemini', headers({ 'x-goog-api-key': TOKEN }), '?key=ailink_v1_x')).toEqual({
      value: TOKEN,
      carrier: 'x-goog-api-key',
    });
    expect(readPresentedToken('gemini', headers({}), `?alt=sse&key=${TOKEN}`)).toEqual({ value: TOKEN, carrier: 'query:key' });
    expect(readPresentedToken('gemini', headers({ authorization: `Bearer ${TOKEN}` }), '?alt=sse')).toEqual({
      value: TOKEN,
      carrier: 'authorization',
    });
  });

  it('returns the first present non-token value so that it is refused (e.g. a tok_ public id)', () => {
    expect(readPresentedToken('catch_all', headers({ authorization: 'Bearer tok_0123456789abcdef01234567' }), '')).toEqual({
      value: 'tok_0123456789abcdef01234567',
      carrier: 'authorization',
    });
    expect(readPresentedToken('catch_all', headers({}), '')).toBeNull();
  });
});
