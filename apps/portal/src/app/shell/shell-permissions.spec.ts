import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { AuthSession, apiInterceptor } from '@ailink/portal-data-access';
import type { PortalSessionResponse, RoleName } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { Shell } from './shell';

@Component({ template: '<h1>Page</h1>' })
class Page {}

function session(role: RoleName, scopes: string[]): PortalSessionResponse {
  return {
    org_id: '00000000-0000-0000-0000-000000000001',
    user_id: '11111111-1111-4111-8111-111111111111',
    role,
    scopes,
    auth_method: 'session',
    email: 'user@example.com',
    csrf_token: 'csrf',
    expires_at: '2030-01-01T00:00:00Z',
  };
}

/** The navigation follows whoami's role and scopes (the API enforces them regardless). */
describe('Shell navigation by role', () => {
  async function navLinks(who: PortalSessionResponse): Promise<string[]> {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ path: '', component: Shell, children: [{ path: '**', component: Page }] }]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    const restored = firstValueFrom(TestBed.inject(AuthSession).restoreSession());
    TestBed.inject(HttpTestingController).expectOne('/api/v1/auth/session').flush(who);
    await restored;
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/tokens');
    const nav = (harness.fixture.nativeElement as HTMLElement).querySelector('[aria-label="Product areas"]');
    return Array.from(nav?.querySelectorAll('a') ?? []).map((a) => a.textContent?.trim() ?? '');
  }

  it('shows a ReadOnly user the read areas only: no users, API keys, SSO providers or settings', async () => {
    const links = await navLinks(session('ReadOnly', ['*']));
    expect(links).toContain('Tokens');
    expect(links).toContain('Teams');
    expect(links).toContain('Model access');
    for (const hidden of ['Users', 'API keys', 'SSO providers', 'Settings']) expect(links).not.toContain(hidden);
  });

  it('shows a member only the areas of its scopes', async () => {
    const links = await navLinks(session('Member', ['tokens:read', 'keys:manage']));
    expect(links).toEqual(['Overview', 'Tokens', 'Spend', 'Users', 'Teams', 'Model access', 'API keys']);
  });

  it('shows an admin everything, SSO providers and settings included', async () => {
    const links = await navLinks(session('Admin', []));
    expect(links).toContain('SSO providers');
    expect(links).toContain('Settings');
  });
});
