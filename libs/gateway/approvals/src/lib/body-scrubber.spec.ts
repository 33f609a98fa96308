import { createHash } from 'node:crypto';
import { DefaultApprovalBodyScrubber } from './body-scrubber';

describe('DefaultApprovalBodyScrubber', () => {
  const scrubber = new DefaultApprovalBodyScrubber();

  it('replaces PII and secrets in JSON strings and masks secret-named keys', () => {
    const secret = 'ailink_v1_00000000_tok_' + 'e'.repeat(32);
    const body = JSON.stringify({
      model: 'gpt-4o',
      api_key: 'plain-value',
      messages: [
        { role: 'user', content: `mail bob@example.com, card 4111 1111 1111 1111, ssn 123-45-6789, key sk-${'a'.repeat(30)}` },
        { role: 'user', content: `token ${secret} and Bearer ${'b'.repeat(30)}` },
      ],
    });
    const out = scrubber.scrub(body);
    const parsed = JSON.parse(out);
    expect(parsed.api_key).toBe('[REDACTED]');
    expect(parsed.messages[0].content).toBe('mail [REDACTED_EMAIL], card [REDACTED_CC], ssn [REDACTED_SSN], key [REDACTED_API_KEY]');
    const publicId = 'tok_' + createHash('sha256').update(secret).digest('hex').slice(0, 24);
    expect(parsed.messages[1].content).toBe(`token ${publicId} and Bearer [REDACTED_SECRET]`);
    expect(out).not.toContain(secret);
  });

  it('keeps numbers that fail the card checksum, and scrubs non-JSON text', () => {
    expect(scrubber.scrub('order 4111 1111 1111 1112')).toBe('order 4111 1111 1111 1112');
    expect(scrubber.scrub('call +1 415 555 0100 from 10.0.0.1')).toBe('call [REDACTED_PHONE] from [REDACTED_IP]');
    expect(scrubber.scrub('{"cut": "ann@example.com')).toBe('{"cut": "[REDACTED_EMAIL]');
  });
});
