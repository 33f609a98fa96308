import { DOCUMENT } from '@angular/common';
import { HttpErrorResponse, HttpInterceptorFn } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { catchError, throwError } from 'rxjs';
import { ADMIN_KEY_HEADER, credentialHeaders } from './admin-key-header';
import { toApiError } from './api-error';
import { AuthSession } from './auth-session';
import { endSession } from './end-session';

/**
 * For same-origin `/api/` requests: adds the session's key while signed in — `X-Admin-Key` for the
 * admin key, `Authorization: Bearer` for an API key — unless the request sets its own, maps error responses to `ApiError`, and on 401 ends the session and goes to /login.
 * Requests to other origins never receive the key.
 */
export const apiInterceptor: HttpInterceptorFn = (req, next) => {
  const document = inject(DOCUMENT);
  if (!isApiUrl(req.url, document.baseURI)) return next(req);

  const session = inject(AuthSession);
  const router = inject(Router);
  const key = session.adminKey();
  const usesSessionKey = key !== null && !req.headers.has(ADMIN_KEY_HEADER) && !req.headers.has('Authorization');
  const request = usesSessionKey ? req.clone({ setHeaders: credentialHeaders(key) }) : req;

  return next(request).pipe(
    catchError((error: unknown) => {
      if (error instanceof HttpErrorResponse && error.status === 401 && usesSessionKey) {
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
