import { HttpTestingController } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import {
  CREDENTIAL,
  TOKEN,
  buttonIn,
  envelope,
  fieldIn,
  lastDialog,
  pageTestProviders,
  settle,
  signInForTest,
  typeInto,
} from '../testing-pages';
import { flushTokenSpend } from '../spend/spend-testing';
import { TokenDetailPage } from './token-detail-page';

@Component({ template: '<h1>Tokens list</h1>' })
class TokensStub {}

const CB = { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1, failure_rate_threshold: 0.5 };

describe('TokenDetailPage', () => {
  let http: HttpTestingController;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: pageTestProviders([
        { path: 'tokens', component: TokensStub },
        { path: 'tokens/:id', component: TokenDetailPage },
      ]),
    });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    harness = await RouterTestingHarness.create();
    harness.fixture.autoDetectChanges();
    await harness.navigateByUrl(`/tokens/${TOKEN.id}`);
    await settle();
  });

  afterEach(async () => {
    TestBed.inject(MatDialog).closeAll();
    await settle();
    http.verify();
  });

  function el(): HTMLElement {
    return harness.fixture.nativeElement as HTMLElement;
  }

  async function flushAll(token = TOKEN, cb: object = CB): Promise<void> {
    http.expectOne(`/api/v1/tokens/${TOKEN.id}`).flush(token);
    http.expectOne(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`).flush(cb);
    http.expectOne('/api/v1/credentials').flush([CREDENTIAL]);
    await settle();
    flushTokenSpend(http, TOKEN.id);
    await settle();
  }

  function facts(): Record<string, string> {
    const dl = el().querySelector('[data-testid="token-facts"]');
    const out: Record<string, string> = {};
    dl?.querySelectorAll('dt').forEach((dt) => {
      out[dt.textContent?.trim() ?? ''] = dt.nextElementSibling?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
    });
    return out;
  }

  it('shows the token with one h1, its state and its fields', async () => {
    await flushAll();
    expect(Array.from(el().querySelectorAll('h1')).map((h) => h.textContent?.trim())).toEqual(['support-agent']);
    expect(el().querySelector('[data-testid="token-state"]')?.textContent?.trim()).toBe('Active');
    expect(facts()).toMatchObject({
      'Public id': TOKEN.id,
      Token: 'ailink_v1_…4f2a',
      Upstream: 'https://api.openai.com',
      Credential: 'openai-prod',
      'Audit log level': 'redacted',
      Expires: 'Never',
      Policies: 'None',
    });
  });

  it('fills the circuit-breaker form and saves changes, keeping keys it does not edit', async () => {
    await flushAll();
    expect((fieldIn(el(), 'Failure threshold') as HTMLInputElement).value).toBe('3');
    expect((fieldIn(el(), 'Recovery cooldown (seconds)') as HTMLInputElement).value).toBe('30');
    expect((fieldIn(el(), 'Half-open max requests') as HTMLInputElement).value).toBe('1');
    typeInto(fieldIn(el(), 'Failure threshold'), '5');
    typeInto(fieldIn(el(), 'Recovery cooldown (seconds)'), '60');
    (el().querySelector('mat-checkbox input') as HTMLInputElement).click();
    await settle();
    buttonIn(el(), 'Save circuit breaker').click();
    await settle();

    const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`);
    expect(req.request.method).toBe('PATCH');
    expect(req.request.body).toEqual({
      enabled: false,
      failure_threshold: 5,
      recovery_cooldown_secs: 60,
      half_open_max_requests: 1,
      failure_rate_threshold: 0.5,
    });
    req.flush({ ...CB, enabled: false, failure_threshold: 5, recovery_cooldown_secs: 60 });
    await settle();
    expect(document.body.textContent).toContain('Circuit-breaker settings saved.');
    expect((fieldIn(el(), 'Failure threshold') as HTMLInputElement).value).toBe('5');
  });

  it('validates the API ranges (whole numbers ≥ 1) before saving', async () => {
    await flushAll();
    typeInto(fieldIn(el(), 'Failure threshold'), '0');
    typeInto(fieldIn(el(), 'Half-open max requests'), '1.5');
    typeInto(fieldIn(el(), 'Recovery cooldown (seconds)'), '');
    await settle();
    buttonIn(el(), 'Save circuit breaker').click();
    await settle();
    http.expectNone(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`);
    expect(Array.from(el().querySelectorAll('mat-error')).map((e) => e.textContent?.trim())).toEqual([
      'Enter a whole number of at least 1.',
      'Enter a whole number of at least 1.',
      'Enter a whole number of at least 1.',
    ]);
  });

  it("shows the API's 422 invalid_config inline", async () => {
    await flushAll();
    buttonIn(el(), 'Save circuit breaker').click();
    await settle();
    const { body, init } = envelope('invalid_config', 'failure_rate_threshold must be in (0, 1]', 422);
    http.expectOne(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`).flush(body, init);
    await settle();
    expect(el().querySelector('[data-testid="cb-error"]')?.textContent?.trim()).toBe('Not saved: failure_rate_threshold must be in (0, 1]');
  });

  it('Reset restores the stored values', async () => {
    await flushAll();
    typeInto(fieldIn(el(), 'Failure threshold'), '9');
    await settle();
    buttonIn(el(), 'Reset').click();
    await settle();
    expect((fieldIn(el(), 'Failure threshold') as HTMLInputElement).value).toBe('3');
  });

  it('revokes after confirmation and goes back to the list', async () => {
    await flushAll();
    buttonIn(el(), 'Revoke token').click();
    await settle();
    const dialog = lastDialog();
    expect(dialog.textContent).toContain('Revoke “support-agent”?');
    buttonIn(dialog, 'Revoke token').click();
    await settle();
    const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}`);
    expect(req.request.method).toBe('DELETE');
    req.flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    expect(TestBed.inject(Router).url).toBe('/tokens');
    expect(document.body.textContent).toContain('Token “support-agent” revoked.');
  });

  it('shows a failed revoke inline', async () => {
    await flushAll();
    buttonIn(el(), 'Revoke token').click();
    await settle();
    buttonIn(lastDialog(), 'Revoke token').click();
    await settle();
    const { body, init } = envelope('forbidden', 'Scope tokens:write required', 403);
    http.expectOne(`/api/v1/tokens/${TOKEN.id}`).flush(body, init);
    await settle();
    expect(el().querySelector('[data-testid="revoke-error"]')?.textContent?.trim()).toBe(
      'Could not revoke the token: Scope tokens:write required',
    );
    expect(TestBed.inject(Router).url).toBe(`/tokens/${TOKEN.id}`);
  });

  it('offers no revoke for a revoked token', async () => {
    await flushAll({ ...TOKEN, is_active: false });
    expect(el().querySelector('[data-testid="token-state"]')?.textContent?.trim()).toBe('Revoked');
    expect(Array.from(el().querySelectorAll('button')).some((b) => b.textContent?.trim() === 'Revoke token')).toBe(false);
  });

  it('shows an unknown token as an error', async () => {
    const { body, init } = envelope('not_found', 'Token not found', 404);
    http.expectOne(`/api/v1/tokens/${TOKEN.id}`).flush(body, init);
    http.expectOne(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`).flush(body, init);
    http.expectOne('/api/v1/credentials').flush([]);
    await settle();
    expect(Array.from(el().querySelectorAll('h1')).map((h) => h.textContent?.trim())).toEqual(['Token']);
    expect(el().querySelector('[data-testid="load-error"]')?.textContent?.trim()).toBe('Could not load the token: Token not found');
  });
});
