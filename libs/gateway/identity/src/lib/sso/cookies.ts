/** Cookie helpers for the portal session (no cookie library: one cookie, read and written here). */

/** The value of one cookie in a `Cookie` header, or undefined. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface SessionCookieOptions {
  maxAgeSecs: number;
  secure: boolean;
  path?: string;
}

/** `Set-Cookie` for the session: HttpOnly, SameSite=Lax, Secure when asked (production / https). */
export function sessionCookie(name: string, value: string, options: SessionCookieOptions): string {
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path ?? '/api'}`,
    `Max-Age=${options.maxAgeSecs}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** `Set-Cookie` that removes the session cookie. */
export function clearedCookie(name: string, options: Omit<SessionCookieOptions, 'maxAgeSecs'>): string {
  return sessionCookie(name, '', { ...options, maxAgeSecs: 0 }) + '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
}

/**
 * The portal path to land on after sign-in (identity.md §4): a relative path starting with a single
 * `/`; anything else (absolute URLs, `//host`, backslashes, control characters) becomes `/`.
 */
export function safeRedirect(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value) || value.length > 2000) return '/';
  return value;
}
