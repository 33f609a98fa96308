import { publicTokenId } from '@ailink/gateway-core';
import { capSnapshot, isSecretFieldName, maskPath, maskSecrets, maskSecretsInText } from './admin-audit-mask';

const TOKEN_SECRET = `ailink_v1_00000000_tok_${'ab'.repeat(16)}`;
const API_KEY = `ak_live_00000000_${'cd'.repeat(16)}`;

describe('isSecretFieldName', () => {
  it.each([
    'secret',
    'api_key',
    'apiKey',
    'x-api-key',
    'password',
    'client_secret',
    'clientSecret',
    'signing_secret',
    'previous_signing_secret_enc',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'slack_bot_token',
    'authorization',
    'Cookie',
    'x-admin-key',
    'master_key',
    'private_key',
    'key_hash',
    'secret_sha256',
    'encrypted_dek',
    'value_enc',
    'AILINK_WEBHOOK_SECRET',
  ])('treats %s as secret', (name) => {
    expect(isSecretFieldName(name)).toBe(true);
  });

  it.each(['id', 'name', 'token_id', 'key_prefix', 'injection_header', 'injection_mode', 'masked', 'tokens', 'key', 'scopes', 'provider'])(
    'keeps %s',
    (name) => {
      expect(isSecretFieldName(name)).toBe(false);
    },
  );
});

describe('maskSecretsInText', () => {
  it('replaces a virtual-token bearer secret by its public id, everywhere in the text', () => {
    expect(maskSecretsInText(`revoked ${TOKEN_SECRET}.`)).toBe(`revoked ${publicTokenId(TOKEN_SECRET)}.`);
    expect(maskSecretsInText(TOKEN_SECRET)).toMatch(/^tok_[0-9a-f]{24}$/);
  });

  it('masks API keys, provider keys, Slack/AWS/Google/GitHub tokens, JWTs and bearer credentials', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl';
    const cases: [string, string][] = [
      [API_KEY, '***'],
      ['key sk-proj-abcdef123456 end', 'key *** end'],
      ['sk-ant-api03-xyz', '***'],
      ['xoxb-1234567890-abcdefgh', '***'],
      ['AKIAIOSFODNN7EXAMPLE', '***'],
      [`AIza${'x'.repeat(35)}`, '***'],
      [`ghp_${'a'.repeat(36)}`, '***'],
      [jwt, '***'],
      ['Authorization: Bearer abc.def-ghi_jkl', 'Authorization: Bearer ***'],
      ['basic dXNlcjpwYXNzd29yZA==', 'basic ***'],
    ];
    for (const [input, output] of cases) expect(maskSecretsInText(input)).toBe(output);
  });

  it('keeps what only looks like a prefix: display prefixes, masked tokens, words with sk-', () => {
    expect(maskSecretsInText('ak_live_00000000_cdcd')).toBe('ak_live_00000000_cdcd');
    expect(maskSecretsInText('ailink_v1_…abcd')).toBe('ailink_v1_…abcd');
    expect(maskSecretsInText('task-force desk-top')).toBe('task-force desk-top');
    expect(maskSecretsInText('injection_mode bearer')).toBe('injection_mode bearer');
  });

  it('masks configured literal secrets (the admin key has no recognisable prefix)', () => {
    expect(maskSecretsInText('key=super-secret-admin-key!', { literals: ['super-secret-admin-key'] })).toBe('key=***!');
    expect(maskSecretsInText('short', { literals: ['short'] })).toBe('short');
  });

  it('drops NUL characters, which PostgreSQL cannot store in jsonb', () => {
    expect(maskSecretsInText('a\u0000b')).toBe('ab');
  });
});

describe('maskSecrets', () => {
  it('masks secret-named fields at any depth and keeps null and booleans', () => {
    const masked = maskSecrets({
      name: 'openai',
      secret: 'sk-live-1234567890',
      api_key: 12345,
      nested: { client_secret: { any: 'shape' }, password: null, list: [{ token: 'opaque' }] },
      has_secret: true,
      headers: { Authorization: 'Bearer xyz', 'content-type': 'application/json' },
    });
    expect(masked).toEqual({
      name: 'openai',
      secret: '***',
      api_key: '***',
      nested: { client_secret: '***', password: null, list: [{ token: '***' }] },
      has_secret: true,
      headers: { Authorization: '***', 'content-type': 'application/json' },
    });
  });

  it("stores a created token's public id, never its bearer secret", () => {
    const created = { token_id: TOKEN_SECRET, id: publicTokenId(TOKEN_SECRET), masked: 'ailink_v1_…abab', name: 'agent' };
    const masked = maskSecrets(created) as Record<string, unknown>;
    expect(masked['token_id']).toBe(publicTokenId(TOKEN_SECRET));
    expect(JSON.stringify(masked)).not.toContain(TOKEN_SECRET);
    expect(JSON.stringify(masked)).not.toContain('ailink_v1_00000000');
  });

  it('masks secret values under harmless names, and secrets used as object keys', () => {
    const masked = maskSecrets({ key: API_KEY, message: `Use ${API_KEY}`, map: { [TOKEN_SECRET]: 1 } });
    expect(masked).toEqual({ key: '***', message: 'Use ***', map: { [publicTokenId(TOKEN_SECRET)]: 1 } });
  });

  it('turns values into plain JSON (dates as strings, undefined fields dropped) and survives odd input', () => {
    expect(maskSecrets({ at: new Date('2026-01-02T03:04:05.000Z'), gone: undefined })).toEqual({ at: '2026-01-02T03:04:05.000Z' });
    expect(maskSecrets(undefined)).toBeNull();
    expect(maskSecrets({ n: BigInt(1) })).toBeNull();
    expect(maskSecrets([1, 'sk-abcdef1234'])).toEqual([1, '***']);
  });

  it('cuts structures nested deeper than 32 levels', () => {
    let deep: Record<string, unknown> = { secret: 'x' };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(JSON.stringify(maskSecrets(deep))).not.toContain('"x"');
  });
});

describe('maskPath', () => {
  it('replaces bearer secrets in paths and secret query parameters', () => {
    expect(maskPath(`/api/v1/tokens/${TOKEN_SECRET}`)).toBe(`/api/v1/tokens/${publicTokenId(TOKEN_SECRET)}`);
    expect(maskPath('/api/v1/x?key=abc&api_key=def&project_id=p1&q=sk-abcdef123')).toBe(
      '/api/v1/x?key=***&api_key=***&project_id=p1&q=***',
    );
    expect(maskPath('/api/v1/x?flag')).toBe('/api/v1/x?flag');
  });
});

describe('capSnapshot', () => {
  it('replaces oversized snapshots by a marker', () => {
    expect(capSnapshot({ a: 'x'.repeat(100) }, 50)).toEqual({ _truncated: true, bytes: 108 });
    expect(capSnapshot({ a: 1 }, 50)).toEqual({ a: 1 });
    expect(capSnapshot(undefined, 50)).toBeNull();
  });
});
