import { DOCUMENT } from '@angular/common';
import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { ADMIN_KEY_HEADER, credentialHeaders } from './admin-key-header';
import { toApiError } from './api-error';
import { AuthSession } from './auth-session';
import { endSession } from './end-session';

/** The CSRF header of SSO sessions (identity.md §1, row 5). */
export const CSRF_HEADER = 'X-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * For same-origin `/api/` requests: adds the session's key while signed in — `X-Admin-Key` for the
 * admin key, `Authorization: Bearer` for an API key — unless the request sets its own; in an SSO
 * session (cookie), adds `X-CSRF-Token` to unsafe methods. Maps error responses to `ApiError`, and on
 * 401 ends the session and goes to /login.
 * Requests to other origins never receive the key.
 */
export const apiInterceptor: HttpInterceptorFn = (req, next) => {
  const document = inject(DOCUMENT);
  if (!isApiUrl(req.url, document.baseURI)) return next(req);

  const session = inject(AuthSession);
  const router = inject(Router);
  const key = session.adminKey();
  const ownCredentials = req.headers.has(ADMIN_KEY_HEADER) || req.headers.has('Authorization');
  const usesSessionKey = key !== null && !ownCredentials;
  // An SSO session travels in its HttpOnly cookie; unsafe methods also carry its CSRF token.
  const csrf = session.csrfToken();
  const usesSsoSession = key === null && csrf !== null && !ownCredentials;
  let request = req;
  if (usesSessionKey) request = req.clone({ setHeaders: credentialHeaders(key) });
  else if (usesSsoSession && !SAFE_METHODS.has(req.method) && !req.headers.has(CSRF_HEADER)) {
    request = req.clone({ setHeaders: { [CSRF_HEADER]: csrf } });
  }

  return next(request).pipe(
    catchError((error: unknown) => {
      if (error instanceof HttpErrorResponse && error.status === 401 && (usesSessionKey || usesSsoSession)) {
        endSession(session, router);
      }
      return throwError(() => toApiError(error));
    }),
  );
};

/** True for URLs on the page's own origin whose path is under `/api/`. */
export function isApiUrl(url: string, base: string): boolean {
  let resolved: URL;
  let origin: string;
  try {
    resolved = new URL(url, base);
    origin = new URL(base).origin;
  } catch {
    return false;
  }
  return resolved.origin === origin && resolved.pathname.startsWith('/api/');
}
