import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthSession, apiInterceptor } from '@ailink/portal-data-access';
import { firstValueFrom } from 'rxjs';
import { SUPERADMIN } from '../testing';
import { OverviewPage } from './overview-page';

const PROJECTS = [
  { id: '00000000-0000-0000-0000-000000000001', name: 'default', org_id: SUPERADMIN.org_id, created_at: '2026-01-01T00:00:00Z' },
  { id: '7d1f3c5e-8a4b-4c2d-9e6f-0a1b2c3d4e5f', name: 'agents', org_id: SUPERADMIN.org_id, created_at: '2026-01-02T00:00:00Z' },
];

describe('OverviewPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<OverviewPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(withInterceptors([apiInterceptor])), provideHttpClientTesting()],
    });
    http = TestBed.inject(HttpTestingController);
    // Sign in first so the page's calls carry the key.
    const signedIn = firstValueFrom(TestBed.inject(AuthSession).signIn('k'));
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    await signedIn;

    fixture = TestBed.createComponent(OverviewPage);
    fixture.detectChanges();
  });

  afterEach(() => http.verify());

  function text(testId: string): string | undefined {
    return (fixture.nativeElement as HTMLElement).querySelector(`[data-testid="${testId}"]`)?.textContent?.trim();
  }

  function flushAll(ready: object, readyStatus = 200, projects: object[] = PROJECTS): void {
    http.expectOne('/readyz').flush(ready, { status: readyStatus, statusText: readyStatus === 200 ? 'OK' : 'Service Unavailable' });
    const who = http.expectOne('/api/v1/auth/whoami');
    expect(who.request.headers.get('X-Admin-Key')).toBe('k');
    who.flush(SUPERADMIN);
    http.expectOne('/api/v1/projects').flush(projects);
  }

  it('shows loading states until the gateway answers', () => {
    const el = fixture.nativeElement as HTMLElement;
    expect(el.textContent).toContain('Checking the gateway…');
    expect(el.textContent).toContain('Counting projects…');
    flushAll({ status: 'ok', version: '0.1.0', mode: 'embedded' });
  });

  it('renders gateway status, version and mode, the caller and the project count', async () => {
    flushAll({ status: 'ok', version: '0.1.0', mode: 'embedded' });
    await fixture.whenStable();

    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelectorAll('h1')).toHaveLength(1);
    expect(el.querySelector('h1')?.textContent).toBe('Overview');
    expect(text('gateway-status')).toBe('ok');
    expect(text('gateway-version')).toBe('0.1.0');
    expect(text('gateway-mode')).toBe('embedded');
    expect(el.querySelector('[data-testid="gateway-postgres"]')).toBeNull();
    expect(text('access-role')).toBe('SuperAdmin');
    expect(text('access-method')).toBe('Admin key');
    expect(text('projects-count')).toBe('2');
    expect(el.querySelectorAll('mat-card')).toHaveLength(3);
  });

  it('shows which dependency is down when /readyz answers 503', async () => {
    flushAll({ status: 'unavailable', postgres: true, redis: false, version: '0.1.0', mode: 'external' }, 503, [PROJECTS[0]]);
    await fixture.whenStable();

    expect(text('gateway-status')).toBe('unavailable');
    expect(text('gateway-mode')).toBe('external');
    expect(text('gateway-postgres')).toBe('answering');
    expect(text('gateway-redis')).toBe('not answering');
    expect(text('projects-count')).toBe('1');
    expect((fixture.nativeElement as HTMLElement).querySelector('[data-testid="projects-card"]')?.textContent).toContain('1 project');
  });

  it('shows API errors per card', async () => {
    http.expectOne('/readyz').flush('down', { status: 500, statusText: 'Internal Server Error' });
    http.expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    http
      .expectOne('/api/v1/projects')
      .flush(
        { error: { code: 'forbidden', message: 'Scope projects:read required', type: 'permission_error', request_id: 'req_1' } },
        { status: 403, statusText: 'Forbidden' },
      );
    await fixture.whenStable();

    const alerts = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('[role="alert"]')).map((a) => a.textContent?.trim());
    expect(alerts).toEqual([
      'Could not read the gateway status: The gateway answered HTTP 500 Internal Server Error.',
      'Could not list projects: Scope projects:read required',
    ]);
    expect(text('access-role')).toBe('SuperAdmin');
  });

  it('Refresh reloads everything and shows the new data', async () => {
    flushAll({ status: 'ok', version: '0.1.0', mode: 'embedded' });
    await fixture.whenStable();
    expect(text('gateway-version')).toBe('0.1.0');

    const refresh = Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('button')).find(
      (b) => b.textContent?.trim() === 'Refresh',
    );
    refresh?.click();
    await fixture.whenStable();
    http.expectOne('/readyz').flush({ status: 'ok', version: '0.2.0', mode: 'external' });
    http.expectOne('/api/v1/auth/whoami').flush({ ...SUPERADMIN, role: 'Admin', auth_method: 'api_key' });
    http.expectOne('/api/v1/projects').flush([...PROJECTS, { ...PROJECTS[0], id: 'x' }]);
    await fixture.whenStable();

    expect(text('gateway-version')).toBe('0.2.0');
    expect(text('gateway-mode')).toBe('external');
    expect(text('access-role')).toBe('Admin');
    expect(text('access-method')).toBe('API key');
    expect(text('projects-count')).toBe('3');
    expect(TestBed.inject(AuthSession).identity()?.role).toBe('Admin');
  });
});
