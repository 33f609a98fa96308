import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { firstValueFrom } from 'rxjs';
import { apiInterceptor } from './api.interceptor';
import { AuthSession } from './auth-session';
import { authGuard, guestGuard, safeReturnUrl } from './auth.guard';

@Component({ template: 'login page' })
class LoginStub {}
@Component({ template: 'protected page' })
class ProtectedStub {}

describe('authGuard / guestGuard', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'login', component: LoginStub, canActivate: [guestGuard] },
          {
            path: '',
            canActivate: [authGuard],
            canActivateChild: [authGuard],
            children: [
              { path: '', component: ProtectedStub },
              { path: 'tokens', component: ProtectedStub },
            ],
          },
        ]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
      ],
    });
  });

  async function signIn(): Promise<void> {
    const done = firstValueFrom(TestBed.inject(AuthSession).signIn('k'));
    TestBed.inject(HttpTestingController)
      .expectOne('/api/v1/auth/whoami')
      .flush({ org_id: 'o', user_id: null, role: 'SuperAdmin', scopes: ['*'], auth_method: 'admin_key' });
    await done;
  }

  it('redirects an unauthenticated deep link to /login with returnUrl', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/tokens?filter=active');
    const router = TestBed.inject(Router);
    expect(router.url).toBe('/login?returnUrl=%2Ftokens%3Ffilter%3Dactive');
    expect(harness.routeNativeElement?.textContent).toContain('login page');
  });

  it('redirects / to /login with returnUrl=/', async () => {
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    expect(TestBed.inject(Router).url).toBe('/login?returnUrl=%2F');
  });

  it('lets a signed-in user through and keeps them off /login', async () => {
    await signIn();
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/tokens');
    expect(harness.routeNativeElement?.textContent).toContain('protected page');
    await harness.navigateByUrl('/login');
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it('re-checks on child navigation after sign-out', async () => {
    await signIn();
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/');
    TestBed.inject(AuthSession).signOut();
    await harness.navigateByUrl('/tokens');
    expect(TestBed.inject(Router).url).toBe('/login?returnUrl=%2Ftokens');
  });
});

describe('safeReturnUrl', () => {
  it.each([
    ['/tokens?x=1', '/tokens?x=1'],
    ['/', '/'],
    [null, '/'],
    ['', '/'],
    ['https://evil.example/', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['tokens', '/'],
    ['/login', '/'],
    ['/login?returnUrl=%2F', '/'],
  ])('%s -> %s', (input, expected) => {
    expect(safeReturnUrl(input)).toBe(expected);
  });
});
