import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef, Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import type { WhoAmIResponse } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { ApiError } from './api-error';
import { apiInterceptor, isApiUrl } from './api.interceptor';
import { AuthSession } from './auth-session';

const WHOAMI: WhoAmIResponse = {
  org_id: '00000000-0000-0000-0000-000000000001',
  user_id: null,
  role: 'SuperAdmin',
  scopes: ['*'],
  auth_method: 'admin_key',
};

@Component({ template: '' })
class Blank {}

describe('apiInterceptor', () => {
  let http: HttpClient;
  let controller: HttpTestingController;
  let session: AuthSession;
  let router: Router;

  async function signIn(key = 'secret-admin-key'): Promise<void> {
    const done = firstValueFrom(session.signIn(key));
    controller.expectOne('/api/v1/auth/whoami').flush(WHOAMI);
    await done;
  }

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
    http = TestBed.inject(HttpClient);
    controller = TestBed.inject(HttpTestingController);
    session = TestBed.inject(AuthSession);
    router = TestBed.inject(Router);
  });

  afterEach(() => controller.verify());

  it('adds X-Admin-Key to /api/ calls when signed in', async () => {
    await signIn();
    http.get('/api/v1/projects').subscribe();
    expect(controller.expectOne('/api/v1/projects').request.headers.get('X-Admin-Key')).toBe('secret-admin-key');
  });

  it('adds it to absolute same-origin API URLs too', async () => {
    await signIn();
    http.get(`${location.origin}/api/v1/projects`).subscribe();
    expect(controller.expectOne(`${location.origin}/api/v1/projects`).request.headers.get('X-Admin-Key')).toBe('secret-admin-key');
  });

  it('sends no key when signed out', () => {
    http.get('/api/v1/projects').subscribe({ error: () => undefined });
    expect(controller.expectOne('/api/v1/projects').request.headers.has('X-Admin-Key')).toBe(false);
  });

  it('never sends the key outside /api/ or to another origin', async () => {
    await signIn();
    http.get('/readyz').subscribe();
    http.get('https://evil.example/api/v1/projects').subscribe();
    http.get('/apikeys').subscribe();
    expect(controller.expectOne('/readyz').request.headers.has('X-Admin-Key')).toBe(false);
    expect(controller.expectOne('https://evil.example/api/v1/projects').request.headers.has('X-Admin-Key')).toBe(false);
    expect(controller.expectOne('/apikeys').request.headers.has('X-Admin-Key')).toBe(false);
  });

  it('does not override a key the request sets itself', async () => {
    await signIn();
    http.get('/api/v1/auth/whoami', { headers: { 'X-Admin-Key': 'other' } }).subscribe();
    expect(controller.expectOne('/api/v1/auth/whoami').request.headers.get('X-Admin-Key')).toBe('other');
  });

  it('maps error envelopes to ApiError', async () => {
    await signIn();
    const result = firstValueFrom(http.get('/api/v1/tokens/x'));
    controller
      .expectOne('/api/v1/tokens/x')
      .flush(
        { error: { code: 'not_found', message: 'Token not found', type: 'invalid_request_error', request_id: 'req_42' } },
        { status: 404, statusText: 'Not Found' },
      );
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'not_found', message: 'Token not found', requestId: 'req_42' });
    expect(session.isAuthenticated()).toBe(true);
  });

  it('on 401 clears the session and sends the user to /login with the current URL', async () => {
    await signIn();
    await router.navigateByUrl('/tokens?page=2');
    const result = firstValueFrom(http.get('/api/v1/projects'));
    controller
      .expectOne('/api/v1/projects')
      .flush(
        { error: { code: 'unauthorized', message: 'Invalid credentials', type: 'authentication_error', request_id: 'req_1' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    await expect(result).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(session.isAuthenticated()).toBe(false);
    expect(session.adminKey()).toBeNull();
    await TestBed.inject(ApplicationRef).whenStable(); // let the redirect navigation finish
    const tree = router.parseUrl(router.url);
    expect(tree.root.children['primary']?.segments.map((s) => s.path)).toEqual(['login']);
    expect(tree.queryParams).toEqual({ returnUrl: '/tokens?page=2', reason: 'session-ended' });
  });

  it('a 401 for an explicitly supplied key (sign-in attempt) does not redirect', async () => {
    await router.navigateByUrl('/login');
    const navigate = jest.spyOn(router, 'navigate');
    const result = firstValueFrom(http.get('/api/v1/auth/whoami', { headers: { 'X-Admin-Key': 'wrong' } }));
    controller
      .expectOne('/api/v1/auth/whoami')
      .flush(
        { error: { code: 'unauthorized', message: 'Invalid admin key', type: 'authentication_error', request_id: 'req_2' } },
        { status: 401, statusText: 'Unauthorized' },
      );
    await expect(result).rejects.toMatchObject({ message: 'Invalid admin key' });
    expect(navigate).not.toHaveBeenCalled();
  });
});

describe('isApiUrl', () => {
  const base = 'https://gw.example:8443/';
  it.each([
    ['/api/v1/projects', true],
    ['api/v1/projects', true],
    ['https://gw.example:8443/api/v1/x', true],
    ['/readyz', false],
    ['/apix', false],
    ['/v1/chat/completions', false],
    ['https://other.example/api/v1/x', false],
    ['//other.example/api/v1/x', false],
    ['http://gw.example:8443/api/v1/x', false],
  ])('%s -> %s', (url, expected) => {
    expect(isApiUrl(url, base)).toBe(expected);
  });
});
