import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { apiInterceptor } from '@ailink/portal-data-access';
import { LoginPage } from './login-page';

describe('LoginPage single sign-on', () => {
  let http: HttpTestingController;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ path: 'login', component: LoginPage }]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create();
  });

  afterEach(() => http.verify());

  function el(): HTMLElement {
    return harness.fixture.nativeElement as HTMLElement;
  }

  it('offers one sign-in link per enabled provider, returning to the requested page', async () => {
    await harness.navigateByUrl('/login?returnUrl=%2Ftokens%3Fx%3D1');
    http.expectOne('/api/v1/auth/sso/providers').flush([
      { id: '11111111-1111-4111-8111-111111111111', name: 'Okta' },
      { id: '22222222-2222-4222-8222-222222222222', name: 'Entra ID' },
    ]);
    await harness.fixture.whenStable();
    const links = Array.from(el().querySelectorAll<HTMLAnchorElement>('[aria-label="Single sign-on providers"] a'));
    expect(links.map((a) => a.textContent?.trim())).toEqual(['Sign in with Okta', 'Sign in with Entra ID']);
    expect(links[0].getAttribute('href')).toBe('/api/v1/auth/sso/11111111-1111-4111-8111-111111111111/login?redirect=%2Ftokens%3Fx%3D1');
  });

  it('never sends the browser elsewhere after SSO: an absolute returnUrl becomes /', async () => {
    await harness.navigateByUrl('/login?returnUrl=https%3A%2F%2Fevil.example');
    http.expectOne('/api/v1/auth/sso/providers').flush([{ id: '11111111-1111-4111-8111-111111111111', name: 'Okta' }]);
    await harness.fixture.whenStable();
    expect(el().querySelector('[aria-label="Single sign-on providers"] a')?.getAttribute('href')).toMatch(/redirect=%2F$/);
  });

  it('shows no SSO section without providers, and explains an SSO error', async () => {
    await harness.navigateByUrl('/login?error=invalid_state');
    http.expectOne('/api/v1/auth/sso/providers').flush([]);
    await harness.fixture.whenStable();
    expect(el().querySelector('[aria-label="Single sign-on providers"]')).toBeNull();
    expect(el().querySelector('[data-testid="sso-error"]')?.textContent).toContain('took too long or was already used');
  });
});
