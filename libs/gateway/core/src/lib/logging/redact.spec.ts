import { createHash } from 'node:crypto';
import { publicTokenId, redactVirtualTokens } from './redact';

describe('virtual-token redaction', () => {
  const secret = 'ailink_v1_00000000_tok_' + 'a'.repeat(32);
  const id = 'tok_' + createHash('sha256').update(secret).digest('hex').slice(0, 24);

  it('derives the public id from the hash', () => {
    expect(publicTokenId(secret)).toBe(id);
    expect(id).toHaveLength(28);
  });

  it('replaces every secret in a URL by its public id', () => {
    const out = redactVirtualTokens(`/v1/models?key=${secret}&x=1&other=${secret}`);
    expect(out).toBe(`/v1/models?key=${id}&x=1&other=${id}`);
    expect(out).not.toContain('ailink_v1_');
  });

  it('leaves text without tokens untouched', () => {
    expect(redactVirtualTokens('/api/v1/projects')).toBe('/api/v1/projects');
  });
});
