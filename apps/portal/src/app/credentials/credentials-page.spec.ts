import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import {
  CREDENTIAL,
  CREDENTIAL_2,
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
import { CredentialsPage } from './credentials-page';

describe('CredentialsPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<CredentialsPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    fixture = TestBed.createComponent(CredentialsPage);
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

  async function flushList(list = [CREDENTIAL, CREDENTIAL_2]): Promise<void> {
    http.expectOne('/api/v1/credentials').flush(list);
    await settle();
  }

  it('has one h1 and shows the credentials sorted by name, secrets never among the columns', async () => {
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    expect(el().querySelector('h1')?.textContent).toBe('Credentials');
    expect(el().querySelector('mat-progress-bar')).not.toBeNull();
    await flushList();

    const headers = Array.from(el().querySelectorAll('th')).map((th) => th.textContent?.trim());
    expect(headers).toEqual(['Name', 'Provider', 'Injection', 'Version', 'Active', 'Rotated', 'Actions']);
    const rows = rowTexts();
    expect(rows.map((r) => r[0])).toEqual(['anthropic-dev', 'openai-prod']);
    expect(rows[0].slice(1, 6)).toEqual(['anthropic', 'header x-api-key', '1', 'Active', 'Never']);
    expect(rows[1][2]).toBe('bearer Authorization');
    expect(rows[1][5]).toMatch(/2026/);
    expect(el().querySelector('table')?.getAttribute('aria-label')).toBe('Credentials');
  });

  it('sorts by a column header', async () => {
    await flushList();
    const versionHeader = Array.from(el().querySelectorAll<HTMLElement>('th')).find((th) => th.textContent?.trim() === 'Version');
    (versionHeader?.querySelector('.mat-sort-header-container') as HTMLElement).click();
    await settle();
    expect(rowTexts().map((r) => r[3])).toEqual(['1', '2']);
    (versionHeader?.querySelector('.mat-sort-header-container') as HTMLElement).click();
    await settle();
    expect(rowTexts().map((r) => r[3])).toEqual(['2', '1']);
    expect(versionHeader?.getAttribute('aria-sort')).toBe('descending');
  });

  it('shows the API error message when the list cannot be read', async () => {
    const { body, init } = envelope('forbidden', 'Scope credentials:read required', 403);
    http.expectOne('/api/v1/credentials').flush(body, init);
    await settle();
    expect(el().querySelector('[role="alert"]')?.textContent?.trim()).toBe('Could not list credentials: Scope credentials:read required');
  });

  it('says so when there are no credentials', async () => {
    await flushList([]);
    expect(el().textContent).toContain('No credentials yet.');
  });

  describe('New credential', () => {
    async function openCreate(): Promise<HTMLElement> {
      await flushList();
      buttonIn(el(), 'New credential').click();
      await settle();
      return lastDialog();
    }

    it('sends the secret only in the create request, clears it, closes and reloads', async () => {
      const dialog = await openCreate();
      expect(dialog.querySelector('h2')?.textContent).toBe('New credential');
      const secret = fieldIn(dialog, 'Secret') as HTMLInputElement;
      expect(secret.type).toBe('password');
      typeInto(fieldIn(dialog, 'Name'), 'groq-main');
      typeInto(fieldIn(dialog, 'Provider'), 'groq');
      typeInto(secret, 'gsk-very-secret');
      await settle();
      buttonIn(dialog, 'Store credential').click();
      await settle();

      expect(secret.value).toBe('');
      const req = http.expectOne('/api/v1/credentials');
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual({ name: 'groq-main', provider: 'groq', secret: 'gsk-very-secret' });
      req.flush({ id: 'new-id', name: 'groq-main', message: 'Credential encrypted and stored' }, { status: 201, statusText: 'Created' });
      await settle();

      expect(openDialogs()).toHaveLength(0);
      http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
      await settle();
      expect(document.body.textContent).toContain('Credential “groq-main” encrypted and stored.');
      expect(document.body.innerHTML).not.toContain('gsk-very-secret');
      expect(localStorage.length + sessionStorage.length).toBe(0);
    });

    it('sends the chosen injection mode and header', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'custom');
      typeInto(fieldIn(dialog, 'Secret'), 's3cret');
      await chooseOption(dialog, 'Injection mode', 'Query parameter');
      typeInto(fieldIn(dialog, 'Query parameter'), 'api_key');
      await settle();
      buttonIn(dialog, 'Store credential').click();
      await settle();
      const req = http.expectOne('/api/v1/credentials');
      expect(req.request.body).toEqual({
        name: 'custom',
        provider: 'openai',
        secret: 's3cret',
        injection_mode: 'query',
        injection_header: 'api_key',
      });
      req.flush({ id: 'x', name: 'custom', message: 'ok' });
      await settle();
      http.expectOne('/api/v1/credentials').flush([]);
    });

    it('explains the provider default injection', async () => {
      const dialog = await openCreate();
      const modeHint = () => dialog.querySelector('[data-testid="mode-hint"]')?.textContent?.replace(/\s+/g, ' ').trim();
      const headerHint = () => dialog.querySelector('[data-testid="header-hint"]')?.textContent?.replace(/\s+/g, ' ').trim();
      expect(modeHint()).toBe('Default for “openai”: bearer, header Authorization.');
      typeInto(fieldIn(dialog, 'Provider'), 'anthropic');
      await settle();
      expect(modeHint()).toBe('Default for “anthropic”: header, header x-api-key.');
      expect(headerHint()).toBe('Optional. Empty means x-api-key.');
      typeInto(fieldIn(dialog, 'Provider'), 'bedrock');
      await settle();
      expect(modeHint()).toBe('Default for “bedrock”: sigv4.');
      expect(headerHint()).toBe('Not used: SigV4 signs the request.');
    });

    it('keeps the dialog open with the API message on a 409 and asks for the secret again', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'openai-prod');
      typeInto(fieldIn(dialog, 'Secret'), 'sk-1');
      await settle();
      buttonIn(dialog, 'Store credential').click();
      await settle();
      const { body, init } = envelope('conflict', 'A credential named openai-prod already exists in this project', 409);
      http.expectOne('/api/v1/credentials').flush(body, init);
      await settle();

      expect(openDialogs()).toHaveLength(1);
      expect(dialog.querySelector('[role="alert"]')?.textContent?.trim()).toBe(
        'A credential named openai-prod already exists in this project',
      );
      expect((fieldIn(dialog, 'Secret') as HTMLInputElement).value).toBe('');
      expect(dialog.textContent).toContain('The secret was cleared after the failed attempt: enter it again.');
    });

    it('shows the details of a 422 validation error', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'x');
      typeInto(fieldIn(dialog, 'Secret'), 'y');
      await settle();
      buttonIn(dialog, 'Store credential').click();
      await settle();
      const { body, init } = envelope('validation_error', 'Invalid request', 422, {
        errors: [{ path: '$.injection_header', message: 'bad header' }],
      });
      http.expectOne('/api/v1/credentials').flush(body, init);
      await settle();
      const alert = dialog.querySelector('[role="alert"]');
      expect(alert?.querySelector('p')?.textContent?.trim()).toBe('Invalid request');
      expect(Array.from(alert?.querySelectorAll('li') ?? []).map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
        '$.injection_header: bad header',
      ]);
    });

    it('does not call the API while required fields are empty', async () => {
      const dialog = await openCreate();
      buttonIn(dialog, 'Store credential').click();
      await settle();
      http.expectNone('/api/v1/credentials');
      const errors = Array.from(dialog.querySelectorAll('mat-error')).map((e) => e.textContent?.trim());
      expect(errors).toEqual(['Enter a name.', 'Enter the secret.']);
    });
  });

  describe('Rotate', () => {
    async function openRotate(): Promise<HTMLElement> {
      await flushList();
      buttonIn(el(), 'Rotate openai-prod').click();
      await settle();
      return lastDialog();
    }

    it('with an empty field re-encrypts (empty body)', async () => {
      const dialog = await openRotate();
      expect(dialog.querySelector('h2')?.textContent).toBe('Rotate “openai-prod”');
      expect(dialog.textContent).toContain('Empty: re-encrypt with a new key.');
      buttonIn(dialog, 'Re-encrypt').click();
      await settle();
      const req = http.expectOne(`/api/v1/credentials/${CREDENTIAL.id}/rotate`);
      expect(req.request.body).toEqual({});
      req.flush({ id: CREDENTIAL.id, version: 3, rotated_at: '2026-02-01T00:00:00Z', message: 'Rotated' });
      await settle();
      expect(openDialogs()).toHaveLength(0);
      http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
      await settle();
      expect(document.body.textContent).toContain('Credential “openai-prod” rotated to version 3.');
    });

    it('with a new secret replaces it and clears the field', async () => {
      const dialog = await openRotate();
      const secret = fieldIn(dialog, 'New secret (optional)') as HTMLInputElement;
      expect(secret.type).toBe('password');
      typeInto(secret, 'sk-rotated');
      await settle();
      buttonIn(dialog, 'Replace secret').click();
      await settle();
      expect(secret.value).toBe('');
      const req = http.expectOne(`/api/v1/credentials/${CREDENTIAL.id}/rotate`);
      expect(req.request.body).toEqual({ secret: 'sk-rotated' });
      const { body, init } = envelope('conflict', 'This instance lacks the KEK', 409);
      req.flush(body, init);
      await settle();
      expect(dialog.querySelector('[role="alert"]')?.textContent?.trim()).toBe('This instance lacks the KEK');
      expect(dialog.textContent).toContain('enter it again to replace the secret');
      expect(document.body.innerHTML).not.toContain('sk-rotated');
    });
  });

  describe('Delete', () => {
    it('asks first, then deletes and reloads', async () => {
      await flushList();
      buttonIn(el(), 'Delete openai-prod').click();
      await settle();
      const confirm = lastDialog();
      expect(confirm.getAttribute('role')).toBe('alertdialog');
      expect(confirm.textContent).toContain('Delete “openai-prod”?');
      buttonIn(confirm, 'Delete credential').click();
      await settle();
      const req = http.expectOne(`/api/v1/credentials/${CREDENTIAL.id}`);
      expect(req.request.method).toBe('DELETE');
      req.flush({ id: CREDENTIAL.id, deleted: true });
      await settle();
      http.expectOne('/api/v1/credentials').flush([CREDENTIAL_2]);
      await settle();
      expect(rowTexts().map((r) => r[0])).toEqual(['anthropic-dev']);
    });

    it('does nothing when cancelled', async () => {
      await flushList();
      buttonIn(el(), 'Delete openai-prod').click();
      await settle();
      buttonIn(lastDialog(), 'Cancel').click();
      await settle();
      http.expectNone(`/api/v1/credentials/${CREDENTIAL.id}`);
      expect(openDialogs()).toHaveLength(0);
    });

    it('shows a failed delete inline', async () => {
      await flushList();
      buttonIn(el(), 'Delete openai-prod').click();
      await settle();
      buttonIn(lastDialog(), 'Delete credential').click();
      await settle();
      const { body, init } = envelope('not_found', 'Credential not found', 404);
      http.expectOne(`/api/v1/credentials/${CREDENTIAL.id}`).flush(body, init);
      await settle();
      expect(el().querySelector('[data-testid="action-error"]')?.textContent?.trim()).toBe('The action failed: Credential not found');
    });
  });
});
