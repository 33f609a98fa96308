import { HttpTestingController } from '@angular/common/http/testing';
import { type Type } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { AuthSession } from '@ailink/portal-data-access';
import type { ModelAccessGroup, OidcProvider, PortalSessionResponse, Team, User } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { buttonIn, chooseOption, fieldIn, lastDialog, pageTestProviders, settle, signInForTest, typeInto } from '../testing-pages';
import { ModelAccessPage } from './model-access-page';
import { SsoProvidersPage } from './sso-providers-page';
import { TeamsPage } from './teams-page';
import { UsersPage } from './users-page';

const TEAM: Team = {
  id: '11111111-1111-4111-8111-111111111111',
  org_id: '00000000-0000-0000-0000-000000000001',
  name: 'Research',
  description: 'ML research',
  max_budget_usd: '250.0000',
  budget_duration: 'weekly',
  allowed_models: ['gpt-4o*'],
  tags: { cost_center: 'r-1' },
  is_active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

const PROVIDER: OidcProvider = {
  id: '22222222-2222-4222-8222-222222222222',
  org_id: '00000000-0000-0000-0000-000000000001',
  name: 'Okta',
  issuer_url: 'https://example.okta.com',
  client_id: 'ailink',
  has_client_secret: true,
  jwks_uri: null,
  audience: null,
  scopes: 'openid email profile',
  claim_mapping: { role: 'groups', role_values: { admins: 'admin' } },
  default_role: 'readonly',
  default_scopes: ['*'],
  enabled: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

describe('identity pages', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(async () => {
    TestBed.inject(MatDialog).closeAll();
    await settle();
    http.verify();
  });

  async function signInAs(role: PortalSessionResponse['role'], scopes: string[]): Promise<void> {
    const restored = firstValueFrom(TestBed.inject(AuthSession).restoreSession());
    http.expectOne('/api/v1/auth/session').flush({
      org_id: TEAM.org_id,
      user_id: '33333333-3333-4333-8333-333333333333',
      role,
      scopes,
      auth_method: 'session',
      csrf_token: 'csrf',
      expires_at: '2030-01-01T00:00:00Z',
    } satisfies PortalSessionResponse);
    await restored;
  }

  async function render<T>(component: Type<T>): Promise<ComponentFixture<T>> {
    const fixture = TestBed.createComponent(component);
    fixture.autoDetectChanges();
    await settle();
    return fixture;
  }

  const text = (root: HTMLElement) => root.textContent?.replace(/\s+/g, ' ') ?? '';
  const buttons = (root: HTMLElement) => Array.from(root.querySelectorAll('button')).map((b) => b.textContent?.trim());

  it('teams: a ReadOnly user sees budgets, models and members but no write action', async () => {
    await signInAs('ReadOnly', ['*']);
    const fixture = await render(TeamsPage);
    http.expectOne('/api/v1/teams').flush([TEAM]);
    await settle();
    const el = fixture.nativeElement as HTMLElement;
    expect(text(el)).toContain('$250.00 per week');
    expect(text(el)).toContain('gpt-4o*');
    expect(buttons(el)).toEqual(['Members']);
  });

  it('teams: creates a team with a budget, restricted models and tags', async () => {
    await signInForTest();
    const fixture = await render(TeamsPage);
    http.expectOne('/api/v1/teams').flush([]);
    await settle();
    buttonIn(fixture.nativeElement as HTMLElement, 'New team').click();
    await settle();
    const dialog = lastDialog();
    typeInto(fieldIn(dialog, 'Name'), 'Platform');
    typeInto(fieldIn(dialog, 'Budget in USD (optional)'), '100');
    await chooseOption(dialog, 'Budget period', 'Day');
    (dialog.querySelector('mat-checkbox input') as HTMLInputElement).click();
    await settle();
    typeInto(fieldIn(dialog, 'Allowed models'), 'gpt-4o*\nclaude-*');
    typeInto(fieldIn(dialog, 'Tags (optional)'), 'owner = sre');
    buttonIn(dialog, 'Create team').click();
    await settle();
    const create = http.expectOne('/api/v1/teams');
    expect(create.request.method).toBe('POST');
    expect(create.request.body).toEqual({
      name: 'Platform',
      description: null,
      max_budget_usd: 100,
      budget_duration: 'daily',
      allowed_models: ['gpt-4o*', 'claude-*'],
      tags: { owner: 'sre' },
    });
    create.flush({ ...TEAM, name: 'Platform' });
    await settle();
    http.expectOne('/api/v1/teams').flush([]);
  });

  it('model access: creates a group from one pattern per line', async () => {
    await signInForTest();
    const fixture = await render(ModelAccessPage);
    http.expectOne('/api/v1/model-access-groups').flush([]);
    await settle();
    buttonIn(fixture.nativeElement as HTMLElement, 'New group').click();
    await settle();
    const dialog = lastDialog();
    typeInto(fieldIn(dialog, 'Name'), 'chat');
    typeInto(fieldIn(dialog, 'Models'), 'gpt-4o*\n\n*mini*');
    buttonIn(dialog, 'Create group').click();
    await settle();
    const create = http.expectOne('/api/v1/model-access-groups');
    expect(create.request.body).toEqual({ name: 'chat', description: null, models: ['gpt-4o*', '*mini*'] });
    create.flush({
      id: 'g',
      project_id: 'p',
      name: 'chat',
      description: null,
      models: [],
      created_at: '',
      updated_at: '',
    } as ModelAccessGroup);
    await settle();
    http.expectOne('/api/v1/model-access-groups').flush([]);
  });

  it('SSO providers: tests a connection and announces the result', async () => {
    await signInForTest();
    const fixture = await render(SsoProvidersPage);
    http.expectOne('/api/v1/oidc/providers').flush([PROVIDER]);
    await settle();
    const el = fixture.nativeElement as HTMLElement;
    buttonIn(el, 'Test connection to Okta').click();
    const test = http.expectOne('/api/v1/oidc/providers/test');
    expect(test.request.body).toEqual({ issuer_url: PROVIDER.issuer_url });
    test.flush({ ok: false, error: 'https://example.okta.com/.well-known/openid-configuration answered HTTP 404' });
    await settle();
    const status = el.querySelector('[data-testid="provider-test-result"]');
    expect(status?.getAttribute('role')).toBe('status');
    expect(status?.textContent).toContain('Connection failed: https://example.okta.com/.well-known/openid-configuration answered HTTP 404');
  });

  it('SSO providers: edits keep the stored secret unless a new one is typed; groups map to teams by name', async () => {
    await signInForTest();
    const fixture = await render(SsoProvidersPage);
    http.expectOne('/api/v1/oidc/providers').flush([PROVIDER]);
    await settle();
    buttonIn(fixture.nativeElement as HTMLElement, 'Edit Okta').click();
    await settle();
    http.expectOne('/api/v1/teams').flush([TEAM]);
    await settle();
    const dialog = lastDialog();
    expect((fieldIn(dialog, 'Client secret (stored)') as HTMLInputElement).value).toBe('');
    typeInto(fieldIn(dialog, 'Groups to teams'), 'ml = research');
    buttonIn(dialog, 'Test connection').click();
    http.expectOne('/api/v1/oidc/providers/test').flush({ ok: true, issuer: PROVIDER.issuer_url, jwks_uri: `${PROVIDER.issuer_url}/keys` });
    await settle();
    expect(dialog.querySelector('[data-testid="test-result"]')?.textContent).toContain('Connection OK');
    buttonIn(dialog, 'Save provider').click();
    await settle();
    const patch = http.expectOne(`/api/v1/oidc/providers/${PROVIDER.id}`);
    expect(patch.request.method).toBe('PATCH');
    expect(patch.request.body).not.toHaveProperty('client_secret');
    expect(patch.request.body.claim_mapping).toEqual({ role: 'groups', role_values: { admins: 'admin' }, group_teams: { ml: TEAM.id } });
    patch.flush(PROVIDER);
    await settle();
    http.expectOne('/api/v1/oidc/providers').flush([PROVIDER]);
  });

  it('users: lists users with how they sign in, and creates one', async () => {
    await signInForTest();
    const fixture = await render(UsersPage);
    http.expectOne('/api/v1/oidc/providers').flush([PROVIDER]);
    const user: User = {
      id: '44444444-4444-4444-8444-444444444444',
      org_id: TEAM.org_id,
      email: 'ada@example.com',
      name: 'Ada',
      oidc_provider_id: PROVIDER.id,
      oidc_subject: 'ada',
      role: 'member',
      created_at: '2026-01-01T00:00:00Z',
      last_login_at: null,
    };
    http.expectOne('/api/v1/users').flush([user]);
    await settle();
    const el = fixture.nativeElement as HTMLElement;
    expect(text(el)).toContain('ada@example.com');
    expect(text(el)).toContain('Okta');
    buttonIn(el, 'New user').click();
    await settle();
    const dialog = lastDialog();
    typeInto(fieldIn(dialog, 'Email'), 'grace@example.com');
    await chooseOption(dialog, 'Role', 'Member');
    buttonIn(dialog, 'Create user').click();
    await settle();
    const create = http.expectOne('/api/v1/users');
    expect(create.request.body).toEqual({ email: 'grace@example.com', name: null, role: 'member' });
    create.flush({ ...user, email: 'grace@example.com' });
    await settle();
    http.expectOne('/api/v1/users').flush([]);
  });
});
