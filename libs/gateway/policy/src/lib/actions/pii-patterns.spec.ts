import { MAX_BUILTIN_MATCH, PII_PATTERNS, luhn, type PiiTypeName } from './pii-patterns';
import { RedactionReport, compileRedaction, redactString } from './redaction';

/** Redacts `text` with one PII type only. */
function only(type: PiiTypeName, text: string): string {
  return redactString(text, compileRedaction({ action: 'redact', patterns: [type] }), new RedactionReport());
}

describe('PII patterns (guardrails.md §4), one test per type', () => {
  it('are the 12 types in table order', () => {
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

  it('email', () => {
    expect(only('email', 'mail jane.doe+x@example.co.uk now')).toBe('mail [REDACTED_EMAIL] now');
    expect(only('email', 'not an address: jane@localhost')).toBe('not an address: jane@localhost');
  });

  it('ssn (word boundaries)', () => {
    expect(only('ssn', 'ssn 123-45-6789.')).toBe('ssn [REDACTED_SSN].');
    expect(only('ssn', 'x1123-45-67890')).toBe('x1123-45-67890');
  });

  it('credit_card (13–19 digits, grouped by spaces or dashes, Luhn)', () => {
    expect(only('credit_card', 'card 4111 1111 1111 1111 ok')).toBe('card [REDACTED_CC] ok');
    expect(only('credit_card', 'card 4111-1111-1111-1111')).toBe('card [REDACTED_CC]');
    expect(only('credit_card', 'order 4111111111111112')).toBe('order 4111111111111112'); // fails Luhn
    expect(only('credit_card', 'id 41111111111111111111111')).toBe('id 41111111111111111111111'); // too long
    expect(luhn('79927398713')).toBe(true);
    expect(luhn('79927398710')).toBe(false);
  });

  it('api_key (sk- and 20–200 key characters)', () => {
    expect(only('api_key', 'key=sk-abcdefghijklmnopqrstuvwx')).toBe('key=[REDACTED_API_KEY]');
    expect(only('api_key', 'sk-short')).toBe('sk-short');
    expect(only('api_key', 'task-abcdefghijklmnopqrstuvwxyz')).toBe('task-abcdefghijklmnopqrstuvwxyz');
  });

  it('phone (North American, optional +1, parentheses and separators)', () => {
    expect(only('phone', 'call (555) 123-4567 or +1 555.123.4567')).toBe('call [REDACTED_PHONE] or [REDACTED_PHONE]');
    expect(only('phone', 'build 5551234')).toBe('build 5551234');
  });

  it('iban', () => {
    expect(only('iban', 'pay DE89370400440532013000 today')).toBe('pay [REDACTED_IBAN] today');
    expect(only('iban', 'de89370400440532013000')).toBe('de89370400440532013000');
  });

  it('dob (MM/DD/YYYY and DD-MM-YYYY, 1900–2099)', () => {
    expect(only('dob', 'born 07/04/1976 and 31-12-2001')).toBe('born [REDACTED_DOB] and [REDACTED_DOB]');
    expect(only('dob', 'on 13/40/1976 or 07/04/1876')).toBe('on 13/40/1976 or 07/04/1876');
  });

  it('ipv4 (octets 0–255)', () => {
    expect(only('ipv4', 'from 192.168.0.1:80')).toBe('from [REDACTED_IP]:80');
    expect(only('ipv4', 'version 999.1.1.1')).toBe('version 999.1.1.1');
  });

  it('passport (two capitals + 7–9 digits, case-sensitive)', () => {
    expect(only('passport', 'passport AB1234567')).toBe('passport [REDACTED_PASSPORT]');
    expect(only('passport', 'passport ab1234567')).toBe('passport ab1234567');
  });

  it('aws_key (AKIA + 16 uppercase alphanumerics)', () => {
    expect(only('aws_key', 'AKIAABCDEFGHIJKLMNOP')).toBe('[REDACTED_AWS_KEY]');
    expect(only('aws_key', 'AKIAabcdefghijklmnop')).toBe('AKIAabcdefghijklmnop');
  });

  it('drivers_license (one capital + 7–12 digits)', () => {
    expect(only('drivers_license', 'DL D12345678')).toBe('DL [REDACTED_DL]');
    expect(only('drivers_license', 'DL D123')).toBe('DL D123');
  });

  it('mrn (MRN/MR prefix, optional - or :, 5–12 digits)', () => {
    expect(only('mrn', 'MRN: 1234567 and MR-55555')).toBe('[REDACTED_MRN] and [REDACTED_MRN]');
    expect(only('mrn', 'MRN 1234')).toBe('MRN 1234');
  });

  it('no built-in match is longer than MAX_BUILTIN_MATCH, which fits in the stream window', () => {
    const longest = [
      'sk-' + 'a'.repeat(400),
      'a'.repeat(80) + '@' + 'b'.repeat(60) + '.' + 'c'.repeat(40),
      '1'.repeat(40),
      'MRN ' + '1'.repeat(40),
    ];
    for (const text of longest) {
      for (const pii of PII_PATTERNS) {
        for (const match of text.matchAll(new RegExp(pii.pattern.source, pii.pattern.flags))) {
          expect(match[0].length).toBeLessThanOrEqual(MAX_BUILTIN_MATCH);
        }
      }
    }
    expect(MAX_BUILTIN_MATCH).toBeLessThan(256);
  });

  it('run in linear time on hostile input', () => {
    const hostile = ['a'.repeat(200_000), '1-'.repeat(100_000), '@.'.repeat(100_000), '1 '.repeat(100_000)];
    const started = Date.now();
    for (const text of hostile)
      redactString(text, compileRedaction({ action: 'redact', patterns: PII_PATTERNS.map((p) => p.type) }), new RedactionReport());
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
