import { RedactionReport, appliesTo, compileRedaction, findSpans, ownedDetectors, redactJson, redactString } from './redaction';

describe('redact action (guardrails.md §4)', () => {
  it('compiles once per action object, with defaults', () => {
    const action = { action: 'redact' as const, patterns: ['email'] };
    const compiled = compileRedaction(action);
    expect(compileRedaction(action)).toBe(compiled);
    expect(compiled).toMatchObject({ direction: 'both', onMatch: 'redact', hasCustomPatterns: false });
    expect(compiled.detectors.map((d) => d.name)).toEqual(['email']);
  });

  it('applies PII types in table order whatever the order written, then custom patterns as custom_{n}', () => {
    const compiled = compileRedaction({ action: 'redact', patterns: ['ACME-\\d{6}', 'phone', 'email', '(?i)secret'] });
    expect(compiled.detectors.map((d) => d.name)).toEqual(['email', 'phone', 'custom_0', 'custom_3']);
    expect(compiled.hasCustomPatterns).toBe(true);
    const report = new RedactionReport();
    expect(redactString('ACME-123456 mail a@b.io, SECRET plan, call 555-123-4567', compiled, report)).toBe(
      '[REDACTED_CUSTOM_0] mail [REDACTED_EMAIL], [REDACTED_CUSTOM_3] plan, call [REDACTED_PHONE]',
    );
    // Reported in the order they occur in the text.
    expect(report.matched).toEqual(['custom_0', 'email', 'custom_3', 'phone']);
  });

  it('a span matched by an earlier type is not matched again by a later one', () => {
    const compiled = compileRedaction({ action: 'redact', patterns: ['email', '\\d+'] });
    // The digits inside the address belong to the email match.
    expect(redactString('x123@example.com 42', compiled, new RedactionReport())).toBe('[REDACTED_EMAIL] [REDACTED_CUSTOM_1]');
    const spans = findSpans('x123@example.com 42', compiled.detectors);
    expect(spans.map((s) => [s.start, s.end, s.name])).toEqual([
      [0, 16, 'email'],
      [17, 19, 'custom_1'],
    ]);
  });

  it('custom patterns use RE2 and count UTF-16 positions (non-BMP text before a match)', () => {
    const compiled = compileRedaction({ action: 'redact', patterns: ['tok-[a-z]+'] });
    expect(redactString('😀😀 tok-abc é tok-def', compiled, new RedactionReport())).toBe('😀😀 [REDACTED_CUSTOM_0] é [REDACTED_CUSTOM_0]');
    // Empty matches are ignored (no infinite loop).
    expect(redactString('abc', compileRedaction({ action: 'redact', patterns: ['x*'] }), new RedactionReport())).toBe('abc');
  });

  it('walks every string of a JSON body in place, and replaces named fields anywhere', () => {
    const body = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'I am jane@example.com, ssn 123-45-6789' }],
      metadata: { password: 'hunter2', nested: [{ password: { deep: true } }], n: 5 },
    };
    const compiled = compileRedaction({ action: 'redact', patterns: ['email', 'ssn'], fields: ['password'] });
    const report = new RedactionReport();
    const out = redactJson(body, compiled, report, true);
    expect(out).toBe(body);
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'I am [REDACTED_EMAIL], ssn [REDACTED_SSN]' }],
      metadata: { password: '[REDACTED]', nested: [{ password: '[REDACTED]' }], n: 5 },
    });
    expect(report.matched).toEqual(['email', 'ssn', 'field:password']);
  });

  it('detects without changing anything when not mutating (block mode, async checks)', () => {
    const body = { content: 'call 555-123-4567' };
    const report = new RedactionReport();
    redactJson(body, compileRedaction({ action: 'redact', patterns: ['phone'], on_match: 'block' }), report, false);
    expect(body).toEqual({ content: 'call 555-123-4567' });
    expect(report.any).toBe(true);
    expect(report.matched).toEqual(['phone']);
  });

  it('a top-level string body is redacted too', () => {
    const report = new RedactionReport();
    expect(redactJson('mail a@b.io', compileRedaction({ action: 'redact', patterns: ['email'] }), report, true)).toBe(
      'mail [REDACTED_EMAIL]',
    );
  });

  it('direction', () => {
    expect(appliesTo({ direction: 'both' }, 'request')).toBe(true);
    expect(appliesTo({ direction: 'request' }, 'response')).toBe(false);
    expect(appliesTo({ direction: 'response' }, 'response')).toBe(true);
  });

  it('owned detectors tag each span with the redaction that found it (the earlier one wins)', () => {
    const a = compileRedaction({ action: 'redact', patterns: ['email'] });
    const b = compileRedaction({ action: 'redact', patterns: ['email', 'ssn'], on_match: 'block' });
    const spans = findSpans('a@b.io 123-45-6789', ownedDetectors([a, b]));
    expect(spans.map((s) => [s.name, s.owner])).toEqual([
      ['email', 0],
      ['ssn', 1],
    ]);
  });
});
