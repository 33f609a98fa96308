import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { AuthSession, apiInterceptor } from '@ailink/portal-data-access';
import { SUPERADMIN, unauthorized } from '../testing';
import { LoginPage } from './login-page';

@Component({ template: '<h1>landed</h1>' })
class Landing {}

describe('LoginPage', () => {
  let http: HttpTestingController;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'login', component: LoginPage },
          { path: '', component: Landing },
          { path: 'policies', component: Landing },
        ]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => {
    // The page asks for the SSO providers once; these tests are about the key form.
    http.match('/api/v1/auth/sso/providers').forEach((r) => {
      if (!r.cancelled) r.flush([]);
    });
    http.verify();
  });

  function el(): HTMLElement {
    return harness.fixture.nativeElement as HTMLElement;
  }

  function keyInput(): HTMLInputElement {
    return el().querySelector('input#admin-key') as HTMLInputElement;
  }

  async function submitKey(key: string): Promise<void> {
    const input = keyInput();
    input.value = key;
    input.dispatchEvent(new Event('input'));
    (el().querySelector('button[type="submit"]') as HTMLButtonElement).click();
    await harness.fixture.whenStable();
  }

  it('has one h1, a labelled password field and a Sign in button', async () => {
    await harness.navigateByUrl('/login');
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    const input = keyInput();
    expect(input.type).toBe('password');
    const label = el().querySelector(`label[for="${input.id}"]`);
    expect(label?.textContent).toContain('Admin key');
    expect(el().querySelector('button[type="submit"]')?.textContent?.trim()).toBe('Sign in');
  });

  it('verifies the key with whoami and goes to the overview on success', async () => {
    await harness.navigateByUrl('/login');
    await submitKey('  correct-key  ');
    const req = http.expectOne('/api/v1/auth/whoami');
    expect(req.request.headers.get('X-Admin-Key')).toBe('correct-key');
    req.flush(SUPERADMIN);
    await harness.fixture.whenStable();

    expect(TestBed.inject(Router).url).toBe('/');
    expect(TestBed.inject(AuthSession).isAuthenticated()).toBe(true);
    expect(TestBed.inject(AuthSession).identity()?.role).toBe('SuperAdmin');
  });

  it('returns to a preserved deep link after sign-in', async () => {
    await harness.navigateByUrl('/login?returnUrl=%2Fpolicies%3Fx%3D1');
    await submitKey('correct-key');
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    await harness.fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/policies?x=1');
  });

  it('ignores a returnUrl pointing at another origin', async () => {
    await harness.navigateByUrl('/login?returnUrl=' + encodeURIComponent('https://evil.example/'));
    await submitKey('correct-key');
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    await harness.fixture.whenStable();
    expect(TestBed.inject(Router).url).toBe('/');
  });

  it("shows the API's error message in an alert for a wrong key and stays signed out", async () => {
    await harness.navigateByUrl('/login');
    expect(el().querySelector('[role="alert"]')).toBeNull();
    await submitKey('wrong-key');
    const { body, init } = unauthorized('Invalid admin key or API key');
    http.expectOne('/api/v1/auth/whoami').flush(body, init);
    await harness.fixture.whenStable();

    const alert = el().querySelector('[role="alert"]');
    expect(alert?.textContent?.trim()).toBe('Invalid admin key or API key');
    expect(TestBed.inject(Router).url).toBe('/login');
    expect(TestBed.inject(AuthSession).isAuthenticated()).toBe(false);
  });

  it('clears the previous error on a new attempt', async () => {
    await harness.navigateByUrl('/login');
    await submitKey('wrong-key');
    const { body, init } = unauthorized();
    http.expectOne('/api/v1/auth/whoami').flush(body, init);
    await harness.fixture.whenStable();
    expect(el().querySelector('[role="alert"]')).not.toBeNull();

    await submitKey('correct-key');
    expect(el().querySelector('[role="alert"]')).toBeNull();
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    await harness.fixture.whenStable();
  });

  it('reports an unreachable gateway', async () => {
    await harness.navigateByUrl('/login');
    await submitKey('k');
    http.expectOne('/api/v1/auth/whoami').error(new ProgressEvent('error'), { status: 0 });
    await harness.fixture.whenStable();
    expect(el().querySelector('[role="alert"]')?.textContent).toContain('could not be reached');
  });

  it('does not call the API for an empty key and explains what is missing', async () => {
    await harness.navigateByUrl('/login');
    await submitKey('   ');
    http.expectNone('/api/v1/auth/whoami');
    expect(el().querySelector('mat-error')?.textContent).toContain('Enter the admin key.');
  });

  it('says so when the session ended', async () => {
    await harness.navigateByUrl('/login?returnUrl=%2F&reason=session-ended');
    expect(el().querySelector('[role="status"]')?.textContent).toContain('Your session ended');
  });

  it('keeps the SSO area empty (no placeholder buttons)', async () => {
    await harness.navigateByUrl('/login');
    const slot = el().querySelector('[data-slot="sso-providers"]');
    expect(slot).not.toBeNull();
    expect(slot?.children).toHaveLength(0);
    expect(slot?.textContent?.trim()).toBe('');
    expect(el().querySelectorAll('button')).toHaveLength(1);
  });
});
