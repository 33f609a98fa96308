import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { WhoAmIResponse } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { ApiError } from './api-error';
import { apiInterceptor } from './api.interceptor';
import { AuthSession } from './auth-session';

const WHOAMI: WhoAmIResponse = {
  org_id: '00000000-0000-0000-0000-000000000001',
  user_id: null,
  role: 'SuperAdmin',
  scopes: ['*'],
  auth_method: 'admin_key',
};

describe('AuthSession', () => {
  let session: AuthSession;
  let http: HttpTestingController;

  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(withInterceptors([apiInterceptor])), provideHttpClientTesting()],
    });
    session = TestBed.inject(AuthSession);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('starts signed out', () => {
    expect(session.isAuthenticated()).toBe(false);
    expect(session.adminKey()).toBeNull();
    expect(session.identity()).toBeNull();
  });

  it('signIn verifies the key with whoami, then holds key and identity in memory only', async () => {
    const result = firstValueFrom(session.signIn('the-admin-key'));
    const req = http.expectOne('/api/v1/auth/whoami');
    expect(req.request.headers.get('X-Admin-Key')).toBe('the-admin-key');
    expect(session.isAuthenticated()).toBe(false);
    req.flush(WHOAMI);
    await expect(result).resolves.toEqual(WHOAMI);

    expect(session.isAuthenticated()).toBe(true);
    expect(session.adminKey()).toBe('the-admin-key');
    expect(session.identity()?.role).toBe('SuperAdmin');
    expect(localStorage.length).toBe(0);
    expect(sessionStorage.length).toBe(0);
    expect(document.cookie).not.toContain('the-admin-key');
  });

  it('a rejected key leaves the session signed out and propagates the ApiError', async () => {
    const result = firstValueFrom(session.signIn('wrong'));
    http
      .expectOne('/api/v1/auth/whoami')
      .flush(
        { error: { code: 'unauthorized', message: 'Invalid admin key', type: 'authentication_error', request_id: 'req_1' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe('Invalid admin key');
    expect(session.isAuthenticated()).toBe(false);
    expect(session.adminKey()).toBeNull();
  });

  it('signOut forgets key and identity', async () => {
    const result = firstValueFrom(session.signIn('k'));
    http.expectOne('/api/v1/auth/whoami').flush(WHOAMI);
    await result;
    session.signOut();
    expect(session.isAuthenticated()).toBe(false);
    expect(session.adminKey()).toBeNull();
    expect(session.identity()).toBeNull();
  });

  it('updateIdentity only applies while signed in', async () => {
    session.updateIdentity({ ...WHOAMI, role: 'Admin' });
    expect(session.identity()).toBeNull();
    const result = firstValueFrom(session.signIn('k'));
    http.expectOne('/api/v1/auth/whoami').flush(WHOAMI);
    await result;
    session.updateIdentity({ ...WHOAMI, role: 'Admin' });
    expect(session.identity()?.role).toBe('Admin');
  });
});
