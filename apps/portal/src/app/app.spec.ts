import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Title } from '@angular/platform-browser';
import { Router, TitleStrategy, provideRouter, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { AuthSession, apiInterceptor } from '@ailink/portal-data-access';
import { firstValueFrom } from 'rxjs';
import { appRoutes } from './app.routes';
import { BUILT_AREA_PATHS, IDENTITY_AREAS, MAIN_AREAS, UNAVAILABLE_AREAS } from './product-areas';
import { SUPERADMIN } from './testing';
import { AilinkTitleStrategy } from './title-strategy';

/** The real route tree, lazily loaded pages included. */
describe('app routes', () => {
  let http: HttpTestingController;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter(appRoutes, withComponentInputBinding()),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
        { provide: TitleStrategy, useClass: AilinkTitleStrategy },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    harness = await RouterTestingHarness.create();
  });

  async function signIn(): Promise<void> {
    const done = firstValueFrom(TestBed.inject(AuthSession).signIn('k'));
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    await done;
  }

  function h1s(): string[] {
    return Array.from((harness.fixture.nativeElement as HTMLElement).querySelectorAll('h1')).map((h) => (h.textContent ?? '').trim());
  }

  it('sends an anonymous visitor of / to the login page', async () => {
    await harness.navigateByUrl('/');
    expect(TestBed.inject(Router).url).toBe('/login?returnUrl=%2F');
    expect(h1s()).toEqual(['Sign in to AIlink']);
    expect(TestBed.inject(Title).getTitle()).toBe('Sign in · AIlink');
  });

  it('preserves a deep link through sign-in', async () => {
    await harness.navigateByUrl('/identity/api-keys');
    expect(TestBed.inject(Router).url).toBe('/login?returnUrl=%2Fidentity%2Fapi-keys');

    const el = harness.fixture.nativeElement as HTMLElement;
    const input = el.querySelector('input[type="password"]') as HTMLInputElement;
    input.value = 'k';
    input.dispatchEvent(new Event('input'));
    (el.querySelector('button[type="submit"]') as HTMLButtonElement).click();
    await harness.fixture.whenStable();
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    await harness.fixture.whenStable();

    expect(TestBed.inject(Router).url).toBe('/identity/api-keys');
    expect(h1s()).toEqual(['API keys']);
    expect(TestBed.inject(Title).getTitle()).toBe('API keys · AIlink');
    http.expectOne('/api/v1/auth/keys').flush([]);
  });

  it('routes every unbuilt area to the not-available page, which says what the area will do', async () => {
    await signIn();
    for (const area of UNAVAILABLE_AREAS) {
      await harness.navigateByUrl(`/${area.path}`);
      const el = harness.fixture.nativeElement as HTMLElement;
      expect(h1s()).toEqual([area.label]);
      expect(el.textContent).toContain('Not available in this build yet.');
      expect(el.querySelector('[data-testid="area-description"]')?.textContent).toBe(area.description);
    }
  });

  it('routes tokens, credentials, services, the audit log and API keys to their real pages', async () => {
    await signIn();
    const pages: Array<[string, string, string, string[]]> = [
      ['/credentials', 'Credentials', 'Credentials · AIlink', ['/api/v1/credentials']],
      ['/tokens', 'Tokens', 'Tokens · AIlink', ['/api/v1/tokens', '/api/v1/credentials']],
      ['/services', 'Services', 'Services · AIlink', ['/api/v1/services', '/api/v1/credentials']],
      ['/audit', 'Audit log', 'Audit log · AIlink', ['/api/v1/audit?limit=50']],
      ['/admin-activity', 'Admin activity', 'Admin activity · AIlink', ['/api/v1/audit/admin?limit=50']],
      ['/identity/api-keys', 'API keys', 'API keys · AIlink', ['/api/v1/auth/keys']],
      ['/policies', 'Policies', 'Policies · AIlink', ['/api/v1/policies']],
    ];
    for (const [url, heading, title, requests] of pages) {
      await harness.navigateByUrl(url);
      expect(h1s()).toEqual([heading]);
      expect(TestBed.inject(Title).getTitle()).toBe(title);
      expect((harness.fixture.nativeElement as HTMLElement).textContent).not.toContain('Not available in this build yet.');
      for (const request of requests) http.expectOne(request).flush([]);
    }

    await harness.navigateByUrl('/tokens/tok_0123456789abcdef01234567');
    expect(TestBed.inject(Title).getTitle()).toBe('Token details · AIlink');
    http.match(() => true).forEach((r) => r.flush(null));
  });

  it('lists the built areas in the navigation and nowhere among the unavailable ones', () => {
    expect(BUILT_AREA_PATHS.every((path) => [...MAIN_AREAS, ...IDENTITY_AREAS].some((a) => a.path === path))).toBe(true);
    expect(UNAVAILABLE_AREAS.some((a) => BUILT_AREA_PATHS.includes(a.path))).toBe(false);
  });

  it('redirects /identity to its first page', async () => {
    await signIn();
    await harness.navigateByUrl('/identity');
    expect(TestBed.inject(Router).url).toBe('/identity/users');
  });

  it('shows a not-found page for unknown paths', async () => {
    await signIn();
    await harness.navigateByUrl('/no/such/page');
    expect(h1s()).toEqual(['Page not found']);
  });

  it('renders the overview at / when signed in', async () => {
    await signIn();
    await harness.navigateByUrl('/');
    expect(h1s()).toEqual(['Overview']);
    expect(TestBed.inject(Title).getTitle()).toBe('Overview · AIlink');
    http.expectOne('/readyz').flush({ status: 'ok', version: '0.1.0', mode: 'embedded' });
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    http.expectOne('/api/v1/projects').flush([]);
  });

  it('keeps a signed-in user away from /login', async () => {
    await signIn();
    await harness.navigateByUrl('/login');
    expect(TestBed.inject(Router).url).toBe('/');
    http.match(() => true).forEach((r) => r.flush(null));
  });
});

describe('product areas', () => {
  it('have unique paths and one-sentence descriptions', () => {
    const paths = UNAVAILABLE_AREAS.map((a) => a.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const area of UNAVAILABLE_AREAS) {
      expect(area.description).toMatch(/^[A-Z].*\.$/);
      expect(area.description.slice(0, -1)).not.toMatch(/\.\s/);
    }
  });
});
