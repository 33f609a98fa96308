import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { PortalSessionResponse } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { apiInterceptor } from './api.interceptor';
import { AuthSession } from './auth-session';

const SESSION: PortalSessionResponse = {
  org_id: '00000000-0000-0000-0000-000000000001',
  user_id: '11111111-1111-4111-8111-111111111111',
  role: 'ReadOnly',
  scopes: ['*'],
  auth_method: 'session',
  email: 'bob@example.com',
  csrf_token: 'csrf-token-0123456789',
  expires_at: '2030-01-01T00:00:00.000Z',
};

@Component({ template: '' })
class Blank {}

describe('AuthSession with an SSO cookie session', () => {
  let session: AuthSession;
  let http: HttpClient;
  let controller: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'login', component: Blank },
          { path: 'tokens', component: Blank },
        ]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    session = TestBed.inject(AuthSession);
    http = TestBed.inject(HttpClient);
    controller = TestBed.inject(HttpTestingController);
  });

  afterEach(() => controller.verify());

  async function restore(): Promise<boolean> {
    const done = firstValueFrom(session.restoreSession());
    controller.expectOne('/api/v1/auth/session').flush(SESSION);
    return done;
  }

  it('restores a session the browser holds: identity without the CSRF token, and no key', async () => {
    expect(await restore()).toBe(true);
    expect(session.isAuthenticated()).toBe(true);
    expect(session.isSsoSession()).toBe(true);
    expect(session.adminKey()).toBeNull();
    expect(session.identity()).toEqual({
      org_id: SESSION.org_id,
      user_id: SESSION.user_id,
      role: 'ReadOnly',
      scopes: ['*'],
      auth_method: 'session',
      email: 'bob@example.com',
    });
    expect(session.can('tokens:read')).toBe(true);
    expect(session.can('tokens:write')).toBe(false);
  });

  it('starts signed out when there is no session (401), without redirecting', async () => {
    const done = firstValueFrom(session.restoreSession());
    controller
      .expectOne('/api/v1/auth/session')
      .flush(
        { error: { code: 'unauthorized', message: 'no', type: 'authentication_error', request_id: 'r' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    expect(await done).toBe(false);
    expect(session.isAuthenticated()).toBe(false);
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it('sends X-CSRF-Token on unsafe requests only, and never a key', async () => {
    await restore();
    http.get('/api/v1/tokens').subscribe();
    const read = controller.expectOne('/api/v1/tokens');
    expect(read.request.headers.has('X-CSRF-Token')).toBe(false);
    expect(read.request.headers.has('X-Admin-Key')).toBe(false);
    read.flush([]);
    http.post('/api/v1/tokens', {}).subscribe();
    expect(controller.expectOne('/api/v1/tokens').request.headers.get('X-CSRF-Token')).toBe('csrf-token-0123456789');
  });

  it('ends the session at the gateway on sign-out, with the CSRF token', async () => {
    await restore();
    session.signOut();
    const logout = controller.expectOne('/api/v1/auth/logout');
    expect(logout.request.method).toBe('POST');
    expect(logout.request.headers.get('X-CSRF-Token')).toBe('csrf-token-0123456789');
    logout.flush(null, { status: 204, statusText: 'No Content' });
    expect(session.isAuthenticated()).toBe(false);
    expect(session.csrfToken()).toBeNull();
  });

  it('sends the user to /login when the session ends (401)', async () => {
    await restore();
    await TestBed.inject(Router).navigateByUrl('/tokens');
    http.get('/api/v1/tokens').subscribe({ error: () => undefined });
    controller
      .expectOne('/api/v1/tokens')
      .flush(
        { error: { code: 'unauthorized', message: 'ended', type: 'authentication_error', request_id: 'r' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    await new Promise((r) => setTimeout(r, 0));
    expect(session.isAuthenticated()).toBe(false);
    expect(TestBed.inject(Router).url).toBe('/login?returnUrl=%2Ftokens&reason=session-ended');
    controller.match('/api/v1/auth/logout').forEach((r) => r.flush(null));
  });
});
