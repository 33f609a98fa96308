import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpParams } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { firstValueFrom, toArray } from 'rxjs';
import { ApiError } from './api-error';
import { apiInterceptor } from './api.interceptor';
import { AuthSession } from './auth-session';
import { SSE_FETCH, SseClient } from './sse-client';

@Component({ template: '' })
class Blank {}

/** A fetch Response stand-in (jsdom has no ReadableStream/Response): a body that yields the given chunks. */
function streamResponse(
  chunks: string[],
  init: { status?: number; statusText?: string; text?: string; headers?: Record<string, string> } = {},
) {
  const encoder = new TextEncoder();
  let i = 0;
  const pending: Array<(r: { done: boolean; value?: Uint8Array }) => void> = [];
  const status = init.status ?? 200;
  return {
    response: {
      ok: status >= 200 && status < 300,
      status,
      statusText: init.statusText ?? 'OK',
      url: '',
      headers: new Headers(init.headers ?? {}),
      text: async () => init.text ?? '',
      body: {
        getReader: () => ({
          read: () =>
            i < chunks.length
              ? Promise.resolve({ done: false, value: encoder.encode(chunks[i++]) })
              : new Promise<{ done: boolean; value?: Uint8Array }>((resolve) => pending.push(resolve)),
          releaseLock: () => undefined,
        }),
      },
    } as unknown as Response,
    /** Ends the body (resolves reads waiting past the last chunk). */
    end: () => pending.splice(0).forEach((resolve) => resolve({ done: true })),
  };
}

describe('SseClient', () => {
  let fetchMock: jest.Mock;
  let client: SseClient;

  beforeEach(async () => {
    fetchMock = jest.fn();
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'login', component: Blank },
          { path: 'audit', component: Blank },
        ]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
        { provide: SSE_FETCH, useValue: fetchMock },
      ],
    });
    const done = firstValueFrom(TestBed.inject(AuthSession).signIn('the-key'));
    TestBed.inject(HttpTestingController)
      .expectOne('/api/v1/auth/whoami')
      .flush({ org_id: 'o', user_id: null, role: 'SuperAdmin', scopes: ['*'], auth_method: 'admin_key' });
    await done;
    client = TestBed.inject(SseClient);
  });

  it('sends the admin key and the query, and emits each event until the stream ends', async () => {
    const body = streamResponse([': heartbeat\n\n', 'event: audit\ndata: [1]\n\nevent: au', 'dit\ndata: [2]\n\n']);
    fetchMock.mockResolvedValue(body.response);
    const all = firstValueFrom(client.open('/api/v1/audit/stream', new HttpParams().set('status', '5xx')).pipe(toArray()));
    await new Promise((r) => setTimeout(r, 0));
    body.end();
    await expect(all).resolves.toEqual([
      { event: 'audit', data: '[1]' },
      { event: 'audit', data: '[2]' },
    ]);
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(new URL(url).pathname + new URL(url).search).toBe('/api/v1/audit/stream?status=5xx');
    expect((init.headers as Record<string, string>)['X-Admin-Key']).toBe('the-key');
    expect((init.headers as Record<string, string>)['Accept']).toBe('text/event-stream');
  });

  it('aborts the request when the subscriber leaves', async () => {
    const body = streamResponse(['event: audit\ndata: [1]\n\n']);
    fetchMock.mockResolvedValue(body.response);
    const seen: string[] = [];
    const errors: unknown[] = [];
    const sub = client.open('/api/v1/audit/stream').subscribe({ next: (m) => seen.push(m.data), error: (e) => errors.push(e) });
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['[1]']);
    const signal = (fetchMock.mock.calls[0] as [string, RequestInit])[1].signal as AbortSignal;
    expect(signal.aborted).toBe(false);
    sub.unsubscribe();
    expect(signal.aborted).toBe(true);
    body.end();
    await new Promise((r) => setTimeout(r, 0));
    expect(errors).toEqual([]);
  });

  it('maps an error response to an ApiError with the envelope message', async () => {
    const body = streamResponse([], {
      status: 403,
      statusText: 'Forbidden',
      text: JSON.stringify({
        error: { code: 'forbidden', message: 'Scope audit:read required', type: 'permission_error', request_id: 'req_2' },
      }),
    });
    fetchMock.mockResolvedValue(body.response);
    const error = await firstValueFrom(client.open('/api/v1/audit/stream')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: 'forbidden', message: 'Scope audit:read required', requestId: 'req_2' });
    expect(TestBed.inject(AuthSession).isAuthenticated()).toBe(true);
  });

  it('ends the session on 401, like every other API call', async () => {
    const router = TestBed.inject(Router);
    await router.navigateByUrl('/audit');
    fetchMock.mockResolvedValue(streamResponse([], { status: 401, statusText: 'Unauthorized' }).response);
    const error = await firstValueFrom(client.open('/api/v1/audit/stream')).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    await new Promise((r) => setTimeout(r, 0));
    expect(TestBed.inject(AuthSession).isAuthenticated()).toBe(false);
    expect(router.url).toBe('/login?returnUrl=%2Faudit&reason=session-ended');
  });

  it('reports an unreachable gateway as network_error', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'));
    const error = await firstValueFrom(client.open('/api/v1/audit/stream')).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 0, code: 'network_error' });
  });
});
