import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import type { CreateTokenResponse } from '@ailink/shared-contracts';
import {
  CREDENTIAL,
  CREDENTIAL_2,
  TOKEN,
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
import { TokenSecretDialog } from './token-secret-dialog';
import { TokensPage } from './tokens-page';

const SECRET = 'ailink_v1_00000000_tok_0123456789abcdef0123456789abcdef';

describe('TokensPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<TokensPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    fixture = TestBed.createComponent(TokensPage);
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

  const expired = { ...TOKEN, id: 'tok_expired', name: 'old-bot', expires_at: '2020-01-01T00:00:00Z', created_at: '2026-01-02T00:00:00Z' };
  const suspended = {
    ...TOKEN,
    id: 'tok_suspended',
    name: 'noisy-bot',
    credential_id: null,
    suspended_at: '2026-01-04T00:00:00Z',
    created_at: '2026-01-01T00:00:00Z',
  };

  async function flushLists(tokens = [TOKEN, expired, suspended]): Promise<void> {
    http.expectOne('/api/v1/tokens').flush(tokens);
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL, CREDENTIAL_2]);
    await settle();
  }

  it('lists tokens newest first with their state, credential name and a link to each token', async () => {
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    await flushLists();
    const headers = Array.from(el().querySelectorAll('th')).map((th) => th.textContent?.trim());
    expect(headers).toEqual(['Name', 'Token', 'Upstream', 'Credential', 'State', 'Created']);
    const rows = rowTexts();
    expect(rows.map((r) => [r[0], r[1], r[3], r[4]])).toEqual([
      ['support-agent', 'ailink_v1_…4f2a', 'openai-prod', 'Active'],
      ['old-bot', 'ailink_v1_…4f2a', 'openai-prod', 'Expired'],
      ['noisy-bot', 'ailink_v1_…4f2a', 'Passthrough', 'Suspended'],
    ]);
    expect(el().querySelector('tr[mat-row] a')?.getAttribute('href')).toBe(`/tokens/${TOKEN.id}`);
  });

  it('shows revoked tokens when asked', async () => {
    await flushLists();
    (el().querySelector('mat-checkbox input') as HTMLInputElement).click();
    await settle();
    http.expectOne('/api/v1/tokens?include_inactive=true').flush([{ ...TOKEN, is_active: false }]);
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
    await settle();
    expect(rowTexts().map((r) => r[4])).toEqual(['Revoked']);
  });

  it('shows the API error when tokens cannot be listed', async () => {
    const { body, init } = envelope('forbidden', 'Scope tokens:read required', 403);
    http.expectOne('/api/v1/tokens').flush(body, init);
    http.expectOne('/api/v1/credentials').flush([]);
    await settle();
    expect(el().querySelector('[role="alert"]')?.textContent?.trim()).toBe('Could not list tokens: Scope tokens:read required');
  });

  describe('New token', () => {
    let execCommand: jest.Mock;

    beforeEach(() => {
      execCommand = jest.fn(() => true);
      (document as unknown as { execCommand: unknown }).execCommand = execCommand;
    });

    async function openCreate(): Promise<HTMLElement> {
      await flushLists([TOKEN]);
      buttonIn(el(), 'New token').click();
      await settle();
      http.expectOne('/api/v1/credentials').flush([CREDENTIAL, { ...CREDENTIAL_2, is_active: false }]);
      await settle();
      return lastDialog();
    }

    it('offers passthrough and the active credentials', async () => {
      const dialog = await openCreate();
      (dialog.querySelector('.mat-mdc-select-trigger') as HTMLElement).click();
      await settle();
      const options = Array.from(document.querySelectorAll('mat-option')).map((o) => o.textContent?.trim());
      expect(options).toEqual(['Passthrough (no credential)', 'openai-prod (openai)']);
    });

    it('creates the token, then shows its secret once with a copy button; closing forgets it', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'billing-agent');
      typeInto(fieldIn(dialog, 'Upstream URL'), 'https://api.openai.com');
      await chooseOption(dialog, 'Credential', 'openai-prod');
      await chooseOption(dialog, 'Audit log level', 'full');
      expect(dialog.textContent).toContain('Raw bodies and headers');
      buttonIn(dialog, 'Create token').click();
      await settle();

      const req = http.expectOne('/api/v1/tokens');
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual({
        name: 'billing-agent',
        upstream_url: 'https://api.openai.com',
        credential_id: CREDENTIAL.id,
        log_level_name: 'full',
      });
      const created: CreateTokenResponse = {
        token_id: SECRET,
        id: 'tok_new',
        masked: 'ailink_v1_…cdef',
        name: 'billing-agent',
        message: `Use: Authorization: Bearer ${SECRET}`,
      };
      req.flush(created, { status: 201, statusText: 'Created' });
      await settle();
      http.expectOne('/api/v1/tokens').flush([TOKEN]);
      http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
      await settle();

      // The secret dialog: shown once, with a copy button and the warning.
      expect(openDialogs()).toHaveLength(1);
      const secretDialog = lastDialog();
      expect(secretDialog.querySelector('h2')?.textContent).toBe('Token “billing-agent” created');
      expect((secretDialog.querySelector('[data-testid="token-secret"]') as HTMLInputElement).value).toBe(SECRET);
      expect(secretDialog.querySelector('[data-testid="show-once-note"]')?.textContent).toContain("You won't see it again");
      const copy = buttonIn(secretDialog, 'Copy');
      copy.click();
      await settle();
      expect(execCommand).toHaveBeenCalledWith('copy');
      expect(secretDialog.querySelector('[role="status"]')?.textContent?.trim()).toBe('Copied to the clipboard.');

      buttonIn(secretDialog, 'I have saved the token').click();
      await settle();
      expect(openDialogs()).toHaveLength(0);
      expect(document.body.innerHTML).not.toContain(SECRET);
      expect(created.token_id).toBe(''); // the response object handed to the dialog no longer holds it
      expect(localStorage.length + sessionStorage.length).toBe(0);
      expect(JSON.stringify(rowTexts())).not.toContain(SECRET);
    });

    it('sends passthrough as no credential and the expiry in UTC', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'temp');
      typeInto(fieldIn(dialog, 'Upstream URL'), 'http://localhost:9000');
      typeInto(fieldIn(dialog, 'Expires (optional)'), '2999-06-01T12:30');
      await settle();
      buttonIn(dialog, 'Create token').click();
      await settle();
      const req = http.expectOne('/api/v1/tokens');
      expect(req.request.body).toEqual({
        name: 'temp',
        upstream_url: 'http://localhost:9000',
        log_level_name: 'redacted',
        expires_at: new Date('2999-06-01T12:30').toISOString(),
      });
      req.flush({ token_id: SECRET, id: 'tok_t', masked: 'm', name: 'temp', message: '' });
      await settle();
      http.expectOne('/api/v1/tokens').flush([]);
      http.expectOne('/api/v1/credentials').flush([]);
      await settle();
    });

    it('refuses a non-http URL and a past expiry before calling the API', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'x');
      typeInto(fieldIn(dialog, 'Upstream URL'), 'ftp://files.example.com');
      typeInto(fieldIn(dialog, 'Expires (optional)'), '2001-01-01T00:00');
      await settle();
      buttonIn(dialog, 'Create token').click();
      await settle();
      http.expectNone('/api/v1/tokens');
      const errors = Array.from(dialog.querySelectorAll('mat-error')).map((e) => e.textContent?.trim());
      expect(errors).toEqual(['Enter an http:// or https:// URL.', 'Choose a time in the future.']);
    });

    it('shows the API message inline when creation fails', async () => {
      const dialog = await openCreate();
      typeInto(fieldIn(dialog, 'Name'), 'x');
      typeInto(fieldIn(dialog, 'Upstream URL'), 'https://api.example.com');
      await settle();
      buttonIn(dialog, 'Create token').click();
      await settle();
      const { body, init } = envelope('validation_error', 'credential_id does not exist', 422);
      http.expectOne('/api/v1/tokens').flush(body, init);
      await settle();
      expect(openDialogs()).toHaveLength(1);
      expect(dialog.querySelector('[role="alert"]')?.textContent?.trim()).toBe('credential_id does not exist');
    });
  });
});

describe('TokenSecretDialog', () => {
  it('wipes the secret from its data when destroyed', async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    const data: CreateTokenResponse = { token_id: SECRET, id: 'tok_x', masked: 'ailink_v1_…cdef', name: 'n', message: '' };
    const ref = TestBed.inject(MatDialog).open(TokenSecretDialog, { data });
    await settle();
    expect((document.querySelector('[data-testid="token-secret"]') as HTMLInputElement).value).toBe(SECRET);
    ref.close();
    await settle();
    expect(data.token_id).toBe('');
    expect(document.querySelector('[data-testid="token-secret"]')).toBeNull();
  });
});
