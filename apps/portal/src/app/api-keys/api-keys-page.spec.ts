import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { READ_SCOPES, type ApiKey, type CreateApiKeyResponse } from '@ailink/shared-contracts';
import {
  buttonIn,
  chooseOption,
  envelope,
  fieldIn,
  lastDialog,
  openDialogs,
  pageTestProviders,
  settle,
  signInForTest,
  typeInto,
} from '../testing-pages';
import { scopeChoices } from './api-key-create-dialog';
import { ApiKeySecretDialog } from './api-key-secret-dialog';
import { ApiKeysPage } from './api-keys-page';

const KEY = 'ak_live_00000000_0123456789abcdef0123456789abcdef';

function apiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: '0d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
    org_id: '00000000-0000-0000-0000-000000000001',
    user_id: null,
    team_id: null,
    name: 'ci-deployer',
    key_prefix: 'ak_live_00000000_0123',
    role: 'member',
    scopes: ['tokens:read', 'audit:read'],
    is_active: true,
    last_used_at: null,
    expires_at: null,
    created_at: '2026-01-03T00:00:00Z',
    ...overrides,
  };
}

describe('ApiKeysPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<ApiKeysPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    fixture = TestBed.createComponent(ApiKeysPage);
    fixture.autoDetectChanges();
    await settle();
  });

  afterEach(async () => {
    TestBed.inject(MatDialog).closeAll();
    await settle();
    http.verify();
  });

  function el(): HTMLElement {
    return fixture.nativeElement as HTMLElement;
  }

  function rowTexts(): string[][] {
    return Array.from(el().querySelectorAll('tr[mat-row]')).map((tr) =>
      Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.replace(/\s+/g, ' ').trim() ?? ''),
    );
  }

  const admin = apiKey({
    id: '1d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
    name: 'root',
    role: 'admin',
    scopes: ['*'],
    key_prefix: 'ak_live_00000000_ffff',
    last_used_at: '2026-01-05T10:00:00Z',
    created_at: '2026-01-04T00:00:00Z',
  });
  const expired = apiKey({
    id: '2d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
    name: 'old',
    expires_at: '2020-01-01T00:00:00Z',
    created_at: '2026-01-02T00:00:00Z',
  });
  const revoked = apiKey({
    id: '3d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
    name: 'gone',
    is_active: false,
    created_at: '2026-01-01T00:00:00Z',
  });

  async function flushList(keys: ApiKey[] = [admin, apiKey(), expired, revoked]): Promise<void> {
    http.expectOne('/api/v1/auth/keys').flush(keys);
    await settle();
  }

  it('lists active keys newest first with prefix, role, scopes, last use and state; never a whole key', async () => {
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    await flushList();
    const headers = Array.from(el().querySelectorAll('th')).map((th) => th.textContent?.trim());
    expect(headers).toEqual(['Name', 'Key', 'Role', 'Scopes', 'Last used', 'Expires', 'State', 'Created', 'Actions']);
    const rows = rowTexts();
    expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[6]])).toEqual([
      ['root', 'ak_live_00000000_ffff…', 'Admin', 'All scopes', 'Active'],
      ['ci-deployer', 'ak_live_00000000_0123…', 'Member', 'tokens:read, audit:read', 'Active'],
      ['old', 'ak_live_00000000_0123…', 'Member', 'tokens:read, audit:read', 'Expired'],
    ]);
    expect(rows[1][4]).toBe('Never');
    expect(rows[0][4]).not.toBe('Never');
    expect(buttonIn(el(), 'Revoke root')).toBeTruthy();
  });

  it('shows revoked keys when asked, without a revoke button', async () => {
    await flushList();
    (el().querySelector('mat-checkbox input') as HTMLInputElement).click();
    await settle();
    expect(rowTexts().map((r) => [r[0], r[6]])).toContainEqual(['gone', 'Revoked']);
    expect(() => buttonIn(el(), 'Revoke gone')).toThrow();
  });

  it('shows the API error when keys cannot be listed', async () => {
    const { body, init } = envelope('forbidden', 'Requires the scope keys:manage', 403);
    http.expectOne('/api/v1/auth/keys').flush(body, init);
    await settle();
    expect(el().querySelector('[role="alert"]')?.textContent?.trim()).toBe('Could not list API keys: Requires the scope keys:manage');
  });

  describe('Revoke', () => {
    it('asks first (Cancel focused), then revokes and reloads', async () => {
      await flushList([apiKey()]);
      buttonIn(el(), 'Revoke ci-deployer').click();
      await settle();
      const confirm = lastDialog();
      expect(confirm.querySelector('h2')?.textContent).toBe('Revoke “ci-deployer”?');
      expect(document.activeElement?.textContent?.trim()).toBe('Cancel');
      buttonIn(confirm, 'Revoke key').click();
      await settle();
      const req = http.expectOne('/api/v1/auth/keys/0d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f');
      expect(req.request.method).toBe('DELETE');
      req.flush(null, { status: 204, statusText: 'No Content' });
      await settle();
      http.expectOne('/api/v1/auth/keys').flush([apiKey({ is_active: false })]);
      await settle();
      expect(rowTexts()).toEqual([]);
    });

    it('does nothing when cancelled', async () => {
      await flushList([apiKey()]);
      buttonIn(el(), 'Revoke ci-deployer').click();
      await settle();
      buttonIn(lastDialog(), 'Cancel').click();
      await settle();
      http.expectNone('/api/v1/auth/keys/0d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f');
    });

    it('shows last_admin_key inline', async () => {
      await flushList([admin]);
      buttonIn(el(), 'Revoke root').click();
      await settle();
      buttonIn(lastDialog(), 'Revoke key').click();
      await settle();
      const { body, init } = envelope('last_admin_key', 'This is the last active admin key of the organisation', 422);
      http.expectOne(`/api/v1/auth/keys/${admin.id}`).flush(body, init);
      await settle();
      expect(el().querySelector('[data-testid="action-error"]')?.textContent?.trim()).toBe(
        'The action failed: This is the last active admin key of the organisation',
      );
    });
  });

  describe('New API key', () => {
    let execCommand: jest.Mock;

    beforeEach(() => {
      execCommand = jest.fn(() => true);
      (document as unknown as { execCommand: unknown }).execCommand = execCommand;
    });

    async function openCreate(): Promise<HTMLElement> {
      await flushList([apiKey()]);
      buttonIn(el(), 'New API key').click();
      await settle();
      return lastDialog();
    }

    it('creates the key, then shows it once with a copy button; closing forgets it', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'billing-bot');
      await chooseOption(dialog, 'Role', 'Read-only');
      expect(dialog.textContent).toContain('Only read scopes are honoured');
      await chooseOption(dialog, 'Scopes (optional)', 'audit:read');
      document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
      (document.querySelector('.cdk-overlay-backdrop.cdk-overlay-transparent-backdrop') as HTMLElement | null)?.click();
      await settle();
      buttonIn(dialog, 'Create key').click();
      await settle();

      const req = http.expectOne('/api/v1/auth/keys');
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual({ name: 'billing-bot', role: 'readonly', scopes: ['audit:read'] });
      const created: CreateApiKeyResponse = {
        id: 'new',
        key: KEY,
        message: 'Store this key now',
        name: 'billing-bot',
        key_prefix: 'ak_live_00000000_0123',
        role: 'readonly',
        scopes: ['audit:read'],
        expires_at: null,
      };
      req.flush(created, { status: 201, statusText: 'Created' });
      await settle();
      http.expectOne('/api/v1/auth/keys').flush([apiKey()]);
      await settle();

      expect(openDialogs()).toHaveLength(1);
      const secretDialog = lastDialog();
      expect(secretDialog.querySelector('h2')?.textContent).toBe('API key “billing-bot” created');
      expect((secretDialog.querySelector('[data-testid="api-key-secret"]') as HTMLInputElement).value).toBe(KEY);
      expect(secretDialog.querySelector('[data-testid="show-once-note"]')?.textContent).toContain("You won't see it again");
      buttonIn(secretDialog, 'Copy').click();
      await settle();
      expect(execCommand).toHaveBeenCalledWith('copy');
      expect(secretDialog.querySelector('[role="status"]')?.textContent?.trim()).toBe('Copied to the clipboard.');

      buttonIn(secretDialog, 'I have saved the key').click();
      await settle();
      expect(openDialogs()).toHaveLength(0);
      expect(document.body.innerHTML).not.toContain(KEY);
      expect(created.key).toBe('');
      expect(localStorage.length + sessionStorage.length).toBe(0);
    });

    it("omits scopes for the role's default and sends the expiry in UTC", async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'temp');
      typeInto(fieldIn(dialog, 'Expires (optional)'), '2999-06-01T12:30');
      await settle();
      buttonIn(dialog, 'Create key').click();
      await settle();
      const req = http.expectOne('/api/v1/auth/keys');
      expect(req.request.body).toEqual({ name: 'temp', role: 'member', expires_at: new Date('2999-06-01T12:30').toISOString() });
      req.flush({ id: 'x', key: KEY, message: '', name: 'temp', key_prefix: 'p', role: 'member', scopes: [], expires_at: null });
      await settle();
      http.expectOne('/api/v1/auth/keys').flush([]);
      await settle();
    });

    it('refuses a missing name and a past expiry before calling the API', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Expires (optional)'), '2001-01-01T00:00');
      await settle();
      buttonIn(dialog, 'Create key').click();
      await settle();
      http.expectNone('/api/v1/auth/keys');
      const errors = Array.from(dialog.querySelectorAll('mat-error')).map((e) => e.textContent?.trim());
      expect(errors).toEqual(['Enter a name.', 'Choose a time in the future.']);
    });

    it('shows role_escalation inline and keeps the dialog open', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'boss');
      await chooseOption(dialog, 'Role', 'Admin');
      buttonIn(dialog, 'Create key').click();
      await settle();
      const { body, init } = envelope('role_escalation', 'Only an admin may mint an admin key', 403);
      http.expectOne('/api/v1/auth/keys').flush(body, init);
      await settle();
      expect(openDialogs()).toHaveLength(1);
      expect(dialog.querySelector('[role="alert"]')?.textContent?.trim()).toBe('Only an admin may mint an admin key');
    });
  });
});

describe('scopeChoices', () => {
  it('offers wildcards and every scope, only read scopes for readonly keys', () => {
    expect(scopeChoices('member')).toEqual(expect.arrayContaining(['*', 'tokens:*', 'tokens:write', 'keys:manage']));
    const readonly = scopeChoices('readonly');
    expect(readonly).toEqual(expect.arrayContaining(['*', 'tokens:*', ...READ_SCOPES]));
    expect(readonly.filter((s) => !s.endsWith(':*') && s !== '*').every((s) => s.endsWith(':read'))).toBe(true);
  });
});

describe('ApiKeySecretDialog', () => {
  it('wipes the key from its data when destroyed', async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    const data: CreateApiKeyResponse = {
      id: 'x',
      key: KEY,
      message: '',
      name: 'n',
      key_prefix: 'p',
      role: 'member',
      scopes: [],
      expires_at: null,
    };
    const ref = TestBed.inject(MatDialog).open(ApiKeySecretDialog, { data });
    await settle();
    expect((document.querySelector('[data-testid="api-key-secret"]') as HTMLInputElement).value).toBe(KEY);
    ref.close();
    await settle();
    expect(data.key).toBe('');
    expect(document.querySelector('[data-testid="api-key-secret"]')).toBeNull();
  });
});
