import { DOCUMENT } from '@angular/common';
import { HttpErrorResponse, HttpHeaders, HttpParams } from '@angular/common/http';
import { Injectable, InjectionToken, Injector, inject } from '@angular/core';
import { Router } from '@angular/router';
import { Observable } from 'rxjs';
import { ApiError, NETWORK_ERROR_CODE, toApiError } from './api-error';
import { ADMIN_KEY_HEADER } from './admin-key-header';
import { endSession } from './end-session';
import { AuthSession } from './auth-session';
import { SseMessage, SseParser } from './sse-parser';

/** The `fetch` used for event streams (replaceable in tests). */
export const SSE_FETCH = new InjectionToken<typeof fetch>('SSE_FETCH', {
  providedIn: 'root',
  factory: () => (input, init) => globalThis.fetch(input, init),
});

/**
 * Reads `text/event-stream` endpoints with `fetch` streams, because a plain `EventSource` cannot send
 * the `X-Admin-Key` header. Each subscription opens one connection; unsubscribing aborts it.
 * Failures surface as `ApiError` (a 401 also ends the session, as for every other API call).
 */
@Injectable({ providedIn: 'root' })
export class SseClient {
  private readonly fetch = inject(SSE_FETCH);
  private readonly injector = inject(Injector);
  private readonly document = inject(DOCUMENT);

  open(path: string, params: HttpParams = new HttpParams()): Observable<SseMessage> {
    return new Observable<SseMessage>((subscriber) => {
      // Resolved lazily: AuthSession depends on ApiClient, which depends on this service.
      const session = this.injector.get(AuthSession);
      const key = session.adminKey();
      const query = params.toString();
      const url = new URL(query ? `${path}?${query}` : path, this.document.baseURI).toString();
      const abort = new AbortController();
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (key !== null) headers[ADMIN_KEY_HEADER] = key;

      const run = async (): Promise<void> => {
        const response = await this.fetch(url, { headers, signal: abort.signal, cache: 'no-store' });
        if (!response.ok) {
          if (response.status === 401 && key !== null) endSession(session, this.injector.get(Router));
          throw await responseError(response);
        }
        if (!response.body) throw new ApiError(response.status, 'client_error', 'The event stream has no body.');
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        const parser = new SseParser();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            for (const message of parser.push(decoder.decode(value, { stream: true }))) {
              if (subscriber.closed) return;
              subscriber.next(message);
            }
          }
          for (const message of parser.push(decoder.decode() + '\n\n')) subscriber.next(message);
        } finally {
          reader.releaseLock?.();
        }
      };

      run().then(
        () => subscriber.complete(),
        (error: unknown) => {
          if (abort.signal.aborted) return; // the subscriber left: not an error
          subscriber.error(error instanceof ApiError ? error : networkError(error));
        },
      );
      return () => abort.abort();
    });
  }
}

async function responseError(response: Response): Promise<ApiError> {
  let body: string;
  try {
    body = await response.text();
  } catch {
    body = '';
  }
  const requestId = response.headers.get('x-request-id');
  return toApiError(
    new HttpErrorResponse({
      status: response.status,
      statusText: response.statusText,
      error: body,
      headers: new HttpHeaders(requestId ? { 'x-request-id': requestId } : {}),
      url: response.url,
    }),
  );
}

function networkError(error: unknown): ApiError {
  if (error instanceof TypeError) {
    return new ApiError(0, NETWORK_ERROR_CODE, 'The gateway could not be reached. Check that it is running and try again.');
  }
  return toApiError(error);
}
