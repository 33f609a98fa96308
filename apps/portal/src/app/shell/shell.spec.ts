import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { AuthSession, apiInterceptor } from '@ailink/portal-data-access';
import { firstValueFrom } from 'rxjs';
import { IDENTITY_AREAS, MAIN_AREAS, SETTINGS_AREA } from '../product-areas';
import { DARK_THEME_CLASS } from '../theme';
import { SUPERADMIN } from '../testing';
import { Shell } from './shell';

@Component({ template: '<h1>Page</h1>' })
class Page {}
@Component({ template: 'login' })
class Login {}

describe('Shell', () => {
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([
          { path: 'login', component: Login },
          { path: '', component: Shell, children: [{ path: '**', component: Page }] },
        ]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    const signedIn = firstValueFrom(TestBed.inject(AuthSession).signIn('k'));
    TestBed.inject(HttpTestingController).expectOne('/api/v1/auth/whoami').flush(SUPERADMIN);
    await signedIn;
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/tokens');
  });

  afterEach(() => document.documentElement.classList.remove(DARK_THEME_CLASS));

  function el(): HTMLElement {
    return harness.fixture.nativeElement as HTMLElement;
  }

  function button(label: string): HTMLButtonElement {
    const found = Array.from(el().querySelectorAll('button')).find((b) => b.textContent?.trim() === label);
    if (!found) throw new Error(`no button "${label}"`);
    return found;
  }

  it('shows the signed-in role and how the user signed in', () => {
    expect(el().querySelector('[data-testid="signed-in-role"]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe(
      'Signed in as SuperAdmin (Admin key)',
    );
  });

  it('links every product area, in order, from one labelled navigation', () => {
    const nav = el().querySelector('[role="navigation"][aria-label="Product areas"]');
    expect(nav).not.toBeNull();
    const links = Array.from(nav?.querySelectorAll('a') ?? []).map((a) => [a.textContent?.trim(), a.getAttribute('href')]);
    expect(links).toEqual([
      ['Overview', '/'],
      ['Tokens', '/tokens'],
      ['Credentials', '/credentials'],
      ['Services', '/services'],
      ['Policies', '/policies'],
      ['Approvals', '/approvals'],
      ['Spend', '/spend'],
      ['Audit log', '/audit'],
      ['Admin activity', '/admin-activity'],
      ['Guardrails', '/guardrails'],
      ['MCP servers', '/mcp-servers'],
      ['Webhooks', '/webhooks'],
      ['Analytics', '/analytics'],
      ['Users', '/identity/users'],
      ['Teams', '/identity/teams'],
      ['Model access', '/identity/model-access'],
      ['API keys', '/identity/api-keys'],
      ['SSO providers', '/identity/sso-providers'],
      ['Settings', '/settings'],
    ]);
    expect(links).toHaveLength(1 + MAIN_AREAS.length + IDENTITY_AREAS.length + 1);
    expect(SETTINGS_AREA.label).toBe('Settings');
    const group = nav?.querySelector('[role="group"]');
    expect(
      el()
        .querySelector(`#${group?.getAttribute('aria-labelledby')}`)
        ?.textContent?.trim(),
    ).toBe('Identity');
    expect(group?.querySelectorAll('a')).toHaveLength(5);
  });

  it('marks the current area with aria-current="page"', () => {
    const current = el().querySelectorAll('[aria-current="page"]');
    expect(current).toHaveLength(1);
    expect(current[0].textContent?.trim()).toBe('Tokens');
  });

  it('starts with a skip link that moves focus to the main region', () => {
    const first = el().querySelector('a');
    expect(first?.textContent).toBe('Skip to main content');
    first?.click();
    expect(document.activeElement?.id).toBe('main-content');
    expect(document.activeElement?.tagName).toBe('MAIN');
    expect(TestBed.inject(Router).url).toBe('/tokens');
  });

  it('Sign out forgets the key and goes to /login', async () => {
    button('Sign out').click();
    await harness.fixture.whenStable();
    expect(TestBed.inject(AuthSession).isAuthenticated()).toBe(false);
    expect(TestBed.inject(AuthSession).adminKey()).toBeNull();
    expect(TestBed.inject(Router).url).toBe('/login');
  });

  it('toggles the dark theme', async () => {
    const toggle = button('Dark theme');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    toggle.click();
    await harness.fixture.whenStable();
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(document.documentElement.classList.contains(DARK_THEME_CLASS)).toBe(true);
    toggle.click();
    await harness.fixture.whenStable();
    expect(document.documentElement.classList.contains(DARK_THEME_CLASS)).toBe(false);
  });
});
