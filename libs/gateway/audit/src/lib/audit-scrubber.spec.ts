import { publicTokenId } from '@ailink/gateway-core';
import {
  MAX_STORED_BODY_BYTES,
  PII_PATTERNS,
  recordedHeaders,
  safeUpstreamUrl,
  scrubBody,
  scrubText,
  storedBody,
  truncateUtf8,
} from './audit-scrubber';

const SECRET = 'ailink_v1_00000000_tok_0123456789abcdef0123456789abcdef';

describe('PII scrubbing (guardrails.md §4, the 12 types)', () => {
  it('covers exactly the 12 documented types, in table order', () => {
    expect(PII_PATTERNS.map((p) => p.type)).toEqual([
      'email',
      'ssn',
      'credit_card',
      'api_key',
      'phone',
      'iban',
      'dob',
      'ipv4',
      'passport',
      'aws_key',
      'drivers_license',
      'mrn',
    ]);
  });

  it.each([
    ['email', 'write to jane.doe+x@example.co.uk today', 'write to [REDACTED_EMAIL] today'],
    ['ssn', 'ssn 123-45-6789.', 'ssn [REDACTED_SSN].'],
    ['credit_card (Luhn ok, grouped)', 'card 4111 1111 1111 1111 ok', 'card [REDACTED_CC] ok'],
    ['credit_card (dashes)', 'card 5500-0000-0000-0004', 'card [REDACTED_CC]'],
    ['api_key', 'key sk-abcdefghijklmnopqrstuvwx123 end', 'key [REDACTED_API_KEY] end'],
    ['phone', 'call +1 (415) 555-2671 now', 'call [REDACTED_PHONE] now'],
    ['phone (dots)', 'call 415.555.2671', 'call [REDACTED_PHONE]'],
    ['iban', 'iban DE89370400440532013000', 'iban [REDACTED_IBAN]'],
    ['dob (MM/DD/YYYY)', 'born 07/04/1976', 'born [REDACTED_DOB]'],
    ['dob (DD-MM-YYYY)', 'born 31-12-2001', 'born [REDACTED_DOB]'],
    ['ipv4', 'from 192.168.10.254 ok', 'from [REDACTED_IP] ok'],
    ['passport', 'passport AB1234567', 'passport [REDACTED_PASSPORT]'],
    ['aws_key', 'aws AKIAIOSFODNN7EXAMPLE', 'aws [REDACTED_AWS_KEY]'],
    ['drivers_license', 'dl D12345678', 'dl [REDACTED_DL]'],
    ['mrn', 'record MRN: 0012345', 'record [REDACTED_MRN]'],
    ['mrn (fewest digits)', 'MRN 12345', '[REDACTED_MRN]'],
    ['ipv4 (fewest digits)', 'host 1.2.3.4 up', 'host [REDACTED_IP] up'],
    ['iban (fewest digits)', 'GB82WESTABCDEFGHIJK', '[REDACTED_IBAN]'],
  ])('replaces %s', (_type, input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  it('leaves look-alikes alone', () => {
    expect(scrubText('card 4111 1111 1111 1112')).toBe('card 4111 1111 1111 1112'); // fails Luhn
    expect(scrubText('version 1.2.3, 256.1.1.1')).toBe('version 1.2.3, 256.1.1.1');
    expect(scrubText('passport ab1234567')).toBe('passport ab1234567'); // case-sensitive
    expect(scrubText('born 13/45/1976')).toBe('born 13/45/1976');
    expect(scrubText('plain text')).toBe('plain text');
  });

  it('replaces secrets that are not PII types, and virtual tokens by their public id', () => {
    const text = [
      `token ${SECRET}`,
      'google AIzaSyA1234567890abcdefghijklmnopqrstuv',
      'gh ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'auth Bearer abcdefghijklmnop1234567890',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
    ].join('\n');
    const out = scrubText(text);
    expect(out).toContain(`token ${publicTokenId(SECRET)}`);
    expect(out).not.toContain('ailink_v1_');
    expect(out).toContain('google [REDACTED_SECRET]');
    expect(out).toContain('gh [REDACTED_SECRET]');
    expect(out).toContain('jwt [REDACTED_JWT]');
    expect(out).toContain('auth Bearer [REDACTED_SECRET]');
    expect(out).toContain('[REDACTED_PRIVATE_KEY]');
    expect(out).not.toContain('MIIEowIBAAKCAQEA');
  });

  it('walks a JSON body: every string scrubbed, secret-named keys replaced, structure kept', () => {
    const body = JSON.stringify({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'my email is a@b.io and SSN 123-45-6789' }],
      api_key: 'plain-value',
      nested: { password: 'hunter2', count: 3, ok: true, none: null },
    });
    expect(JSON.parse(scrubBody(body))).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'my email is [REDACTED_EMAIL] and SSN [REDACTED_SSN]' }],
      api_key: '[REDACTED]',
      nested: { password: '[REDACTED]', count: 3, ok: true, none: null },
    });
  });

  it('runs in linear time on adversarial input (no catastrophic backtracking)', () => {
    const mib = 1024 * 1024;
    const inputs = [
      'a'.repeat(mib),
      'a@' + 'b'.repeat(mib),
      'eyJ-'.repeat(mib / 4),
      'xoxb-'.repeat(mib / 5),
      'sk-'.repeat(mib / 3),
      '1 '.repeat(mib / 2),
      '-----BEGIN RSA PRIVATE KEY-----'.repeat(mib / 32),
      'Bearer '.repeat(mib / 7),
      '192.168.1.'.repeat(mib / 10),
    ];
    const started = Date.now();
    for (const input of inputs) scrubText(input);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps a JSON body with nothing to hide byte for byte (no re-serialisation)', () => {
    const body = '{ "model": "gpt-4o-mini",\n  "messages": [{"role": "user", "content": "ping"}], "n": 12345678 }';
    expect(scrubBody(body)).toBe(body);
  });

  it('skips the digit-based types only when a string has too few digits for them', () => {
    expect(scrubText('gpt-4o v2 in 3 steps')).toBe('gpt-4o v2 in 3 steps');
    expect(scrubText('ids 1.2.3.4 and 10.0.0.1')).toBe('ids [REDACTED_IP] and [REDACTED_IP]');
  });

  it('scrubs a body that only looks like JSON as text', () => {
    expect(scrubBody('{"broken": "a@b.io"')).toBe('{"broken": "[REDACTED_EMAIL]"');
  });
});

describe('stored bodies', () => {
  it('scrubs at level 1 and keeps raw text at level 2 (virtual tokens still replaced)', () => {
    const body = Buffer.from(`{"content":"a@b.io","t":"${SECRET}"}`);
    expect(storedBody(body, 1)).toBe(`{"content":"[REDACTED_EMAIL]","t":"${publicTokenId(SECRET)}"}`);
    expect(storedBody(body, 2)).toBe(`{"content":"a@b.io","t":"${publicTokenId(SECRET)}"}`);
  });

  it('records nothing for an empty body and a placeholder for binary or encoded bodies', () => {
    expect(storedBody(undefined, 1)).toBeNull();
    expect(storedBody(Buffer.alloc(0), 2)).toBeNull();
    expect(storedBody(Buffer.from([0x89, 0x50, 0x00, 0x01]), 2)).toBe('[binary body: 4 bytes]');
    expect(storedBody(Buffer.from('abc'), 2, 'gzip')).toBe('[gzip-encoded body: 3 bytes]');
    expect(storedBody(Buffer.from('abc'), 2, 'identity')).toBe('abc');
  });

  it('truncates at 1 MiB without splitting a character', () => {
    const big = Buffer.from('é'.repeat(MAX_STORED_BODY_BYTES)); // 2 MiB of 2-byte characters
    const stored = storedBody(big, 2);
    expect(stored).not.toBeNull();
    expect(Buffer.byteLength(stored ?? '')).toBeLessThanOrEqual(MAX_STORED_BODY_BYTES);
    expect(stored).toBe('é'.repeat(MAX_STORED_BODY_BYTES / 2));
    expect(truncateUtf8('a€b', 3)).toBe('a');
    expect(truncateUtf8('short')).toBe('short');
  });

  it('scrubs a large level-1 body as text before truncating', () => {
    const big = Buffer.from('x'.repeat(MAX_STORED_BODY_BYTES - 20) + ' a@b.io ' + 'y'.repeat(MAX_STORED_BODY_BYTES));
    const stored = storedBody(big, 1) ?? '';
    expect(stored).toContain('[REDACTED_EMAIL]');
    expect(Buffer.byteLength(stored)).toBe(MAX_STORED_BODY_BYTES);
  });
});

describe('recorded headers', () => {
  it('masks the credential headers of §1 and the extra ones, joins repeats, replaces virtual tokens', () => {
    const headers = recordedHeaders(
      {
        Authorization: `Bearer ${SECRET}`,
        'x-api-key': 'k',
        cookie: 'a=b',
        'set-cookie': ['a=1', 'b=2'],
        'x-goog-api-key': 'g',
        'api-key': 'a',
        'ocp-apim-subscription-key': 'o',
        'x-pan-token': 'p',
        'x-real-authorization': 'r',
        'x-upstream-authorization': 'u',
        'proxy-authorization': 'pa',
        'x-admin-key': 'admin',
        'x-custom-auth': 'injected',
        'x-note': `see ${SECRET}`,
        accept: ['a', 'b'],
        'content-length': 12 as unknown as string,
        'sec-websocket-protocol': 'realtime, openai-insecure-api-key.sk-abc, openai-beta.realtime-v1',
      },
      ['X-Custom-Auth'],
    );
    expect(headers).toEqual({
      authorization: '***',
      'x-api-key': '***',
      cookie: '***',
      'set-cookie': '***',
      'x-goog-api-key': '***',
      'api-key': '***',
      'ocp-apim-subscription-key': '***',
      'x-pan-token': '***',
      'x-real-authorization': '***',
      'x-upstream-authorization': '***',
      'proxy-authorization': '***',
      'x-admin-key': '***',
      'x-custom-auth': '***',
      'x-note': `see ${publicTokenId(SECRET)}`,
      accept: 'a, b',
      'content-length': '12',
      'sec-websocket-protocol': 'realtime, openai-insecure-api-key.***, openai-beta.realtime-v1',
    });
    expect(recordedHeaders(undefined)).toBeNull();
  });

  it('records upstream URLs without credentials, query string or fragment', () => {
    expect(safeUpstreamUrl('https://generativelanguage.googleapis.com/v1/models/x:generate?key=AIza123&alt=sse')).toBe(
      'https://generativelanguage.googleapis.com/v1/models/x:generate',
    );
    expect(safeUpstreamUrl('https://user:pass@api.example.com/v1/chat#frag')).toBe('https://api.example.com/v1/chat');
    expect(safeUpstreamUrl(undefined)).toBeNull();
  });
});
