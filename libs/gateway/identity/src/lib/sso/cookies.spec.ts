import { clearedCookie, readCookie, safeRedirect, sessionCookie } from './cookies';

describe('portal session cookie helpers', () => {
  it('reads one cookie among several, quoted or encoded', () => {
    expect(readCookie('a=1; ailink_session=abc%2Bdef; b=2', 'ailink_session')).toBe('abc+def');
    expect(readCookie('ailink_session="xyz"', 'ailink_session')).toBe('xyz');
    expect(readCookie(['x=1', 'ailink_session=v'], 'ailink_session')).toBe('v');
    expect(readCookie('not_ailink_session=1', 'ailink_session')).toBeUndefined();
    expect(readCookie(undefined, 'ailink_session')).toBeUndefined();
    expect(readCookie('ailink_session=%E0%A4%A', 'ailink_session')).toBeUndefined();
  });

  it('writes an HttpOnly, SameSite=Lax cookie, Secure when asked, and clears it', () => {
    expect(sessionCookie('ailink_session', 'v', { maxAgeSecs: 600, secure: false })).toBe(
      'ailink_session=v; Path=/api; Max-Age=600; HttpOnly; SameSite=Lax',
    );
    expect(sessionCookie('ailink_session', 'v', { maxAgeSecs: 1, secure: true })).toMatch(/; Secure$/);
    expect(clearedCookie('ailink_session', { secure: false })).toContain('Max-Age=0');
  });

  it('keeps only relative paths starting with a single slash as the landing page', () => {
    expect(safeRedirect('/tokens?x=1')).toBe('/tokens?x=1');
    expect(safeRedirect('/')).toBe('/');
    for (const bad of ['https://evil.example', '//evil.example', '/\\evil.example', 'tokens', '', undefined, '/a\nb', 42]) {
      expect(safeRedirect(bad)).toBe('/');
    }
  });
});
