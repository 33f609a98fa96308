import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import {
  TOKEN,
  buttonIn,
  envelope,
  fieldIn,
  lastDialog,
  openDialogs,
  pageTestProviders,
  settle,
  signInForTest,
  typeInto,
} from '../testing-pages';
import { TOKEN_SPEND, flushTokenSpend, spendDays } from '../spend/spend-testing';
import { TokenSpendSection } from './token-spend-section';

describe('TokenSpendSection', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<TokenSpendSection>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    fixture = TestBed.createComponent(TokenSpendSection);
    fixture.componentRef.setInput('tokenId', TOKEN.id);
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

  function text(node: Element | null | undefined): string {
    return node?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
  }

  function row(period: string): Record<string, string> {
    const tr = el().querySelector(`[data-testid="spend-row-${period}"]`);
    return {
      period: Array.from(tr?.querySelectorAll('th div') ?? [])
        .map((d) => text(d))
        .join(' · '),
      spent: text(tr?.querySelector('[data-testid="spent"]')),
      cap: text(tr?.querySelector('[data-testid="cap"]')),
      used: text(tr?.querySelector('.used-text')),
    };
  }

  async function loaded(status = TOKEN_SPEND, history = spendDays(30, { 27: 0.5, 29: 1.25 })): Promise<void> {
    flushTokenSpend(http, TOKEN.id, status, history);
    await settle();
  }

  it('shows the current spend of each period against its cap', async () => {
    await loaded();
    expect(row('daily')).toEqual({ period: 'Daily · today (UTC)', spent: '$1.25', cap: '$5.00', used: '25%' });
    expect(row('monthly')).toEqual({ period: 'Monthly · this month (UTC)', spent: '$3.50', cap: 'No cap', used: '' });
    expect(row('lifetime')).toEqual({
      period: 'Lifetime · since the token was created',
      spent: '$100.50',
      cap: '$100.00',
      used: 'Reached',
    });
    const bar = el().querySelector('[data-testid="spend-row-daily"] mat-progress-bar');
    expect(bar?.getAttribute('aria-label')).toBe('Daily cap used');
    expect(bar?.getAttribute('aria-valuenow')).toBe('25');
    expect(bar?.getAttribute('aria-valuetext')).toBe('25% of $5.00');
    // Only periods with a cap offer removal; every period can be set or edited.
    expect(Array.from(el().querySelectorAll('button')).map((b) => b.getAttribute('aria-label') ?? text(b))).toEqual([
      'Refresh spend',
      'Edit daily cap',
      'Remove daily cap',
      'Set monthly cap',
      'Edit lifetime cap',
      'Remove lifetime cap',
      'Save cap',
      '7 days',
      '30 days',
      '90 days',
    ]);
  });

  it('draws the daily history as an accessible SVG chart with a hidden table of the values', async () => {
    await loaded();
    const svg = el().querySelector('svg[data-testid="spend-chart"]');
    expect(svg?.getAttribute('role')).toBe('img');
    const [titleId, descId] = (svg?.getAttribute('aria-labelledby') ?? '').split(' ');
    expect(text(svg?.querySelector(`[id="${titleId}"]`))).toBe('Daily spend, last 30 days (UTC)');
    expect(text(svg?.querySelector(`[id="${descId}"]`))).toBe(
      '$1.75 spent over 18 requests from Jan 1 to Jan 30; highest $1.25 on Jan 30.',
    );
    const bars = Array.from(svg?.querySelectorAll('rect.bar') ?? []);
    expect(bars).toHaveLength(30);
    const heights = bars.map((b) => Number(b.getAttribute('height')));
    expect(heights.filter((h) => h > 0)).toHaveLength(2);
    // Axis up to $2.00 (the nice ceiling of $1.25): the $1.25 bar is 62.5 % of the plot, the $0.50 one 25 %.
    expect(heights[29] / heights[27]).toBeCloseTo(2.5, 5);
    expect(Array.from(svg?.querySelectorAll('text.axis') ?? []).map((t) => text(t))).toEqual([
      '$0.00',
      '$1.00',
      '$2.00',
      'Jan 1',
      'Jan 15',
      'Jan 30',
    ]);
    const table = el().querySelector('[data-testid="spend-chart-table"]');
    expect(table?.classList).toContain('cdk-visually-hidden');
    expect(text(table?.querySelector('caption'))).toBe('Daily spend, last 30 days (UTC)');
    const rows = Array.from(table?.querySelectorAll('tbody tr') ?? []).map((tr) => Array.from(tr.children).map((c) => text(c)));
    expect(rows).toHaveLength(30);
    expect(rows[27]).toEqual(['2026-01-28', '$0.50', '5']);
    expect(rows[29]).toEqual(['2026-01-30', '$1.25', '13']);
    expect(el().querySelector('[data-testid="history-empty"]')).toBeNull();
  });

  it('switches the chart range', async () => {
    await loaded();
    buttonIn(el(), '7 days').click();
    await settle();
    const req = http.expectOne((r) => r.url === `/api/v1/tokens/${TOKEN.id}/spend/history`);
    expect(req.request.params.get('days')).toBe('7');
    req.flush(spendDays(7));
    await settle();
    expect(el().querySelectorAll('rect.bar')).toHaveLength(7);
    expect(text(el().querySelector('[data-testid="history-empty"]'))).toBe('No spend recorded in the last 7 days.');
    expect(text(el().querySelector('svg desc'))).toBe('No spend from Jan 24 to Jan 30.');
  });

  it('edits a cap: prefilled from the row, saved with PUT, then re-read', async () => {
    await loaded();
    buttonIn(el(), 'Edit daily cap').click();
    await settle();
    const input = fieldIn(el(), 'Cap (USD)') as HTMLInputElement;
    expect(input.value).toBe('5');
    expect(document.activeElement).toBe(input);
    typeInto(input, '7.5');
    buttonIn(el(), 'Save cap').click();
    await settle();
    const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}/spend`);
    expect(req.request.method).toBe('PUT');
    expect(req.request.body).toEqual({ period: 'daily', limit_usd: '7.5' });
    req.flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    expect(document.body.textContent).toContain('Daily cap set to $7.50.');
    await loaded({ ...TOKEN_SPEND, daily_limit_usd: 7.5 });
    expect(row('daily').cap).toBe('$7.50');
    expect(row('daily').used).toBe('16.7%');
    expect((fieldIn(el(), 'Cap (USD)') as HTMLInputElement).value).toBe('');
  });

  it('sets a cap for a period without one', async () => {
    await loaded();
    buttonIn(el(), 'Set monthly cap').click();
    await settle();
    expect(text(el().querySelector('mat-select'))).toBe('Monthly');
    typeInto(fieldIn(el(), 'Cap (USD)'), '250');
    buttonIn(el(), 'Save cap').click();
    await settle();
    const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}/spend`);
    expect(req.request.body).toEqual({ period: 'monthly', limit_usd: '250' });
    req.flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    await loaded();
  });

  it('checks the amount before sending it', async () => {
    await loaded();
    const errors = () => Array.from(el().querySelectorAll('mat-error')).map((e) => text(e));
    buttonIn(el(), 'Save cap').click();
    await settle();
    expect(errors()).toEqual(['Enter an amount.']);
    typeInto(fieldIn(el(), 'Cap (USD)'), '0');
    await settle();
    buttonIn(el(), 'Save cap').click();
    await settle();
    expect(errors()).toEqual(['The cap must be greater than $0.']);
    typeInto(fieldIn(el(), 'Cap (USD)'), '1.2.3');
    await settle();
    expect(errors()).toEqual(['Enter an amount like 5 or 12.50 (up to 6 decimals).']);
    http.expectNone(`/api/v1/tokens/${TOKEN.id}/spend`);
  });

  it('shows the validation messages of a refused cap from the API', async () => {
    await loaded();
    typeInto(fieldIn(el(), 'Cap (USD)'), '1000000');
    buttonIn(el(), 'Save cap').click();
    await settle();
    const { body, init } = envelope('validation_error', 'Request validation failed', 422, {
      errors: [{ path: '$.limit_usd', message: 'must be at most 999999.999999' }],
    });
    http.expectOne(`/api/v1/tokens/${TOKEN.id}/spend`).flush(body, init);
    await settle();
    const alert = el().querySelector('[data-testid="cap-error"]');
    expect(alert?.getAttribute('role')).toBe('alert');
    expect(text(alert?.querySelector('p'))).toBe('Cap not saved: Request validation failed');
    expect(Array.from(alert?.querySelectorAll('li') ?? []).map((li) => text(li))).toEqual(['$.limit_usd: must be at most 999999.999999']);
  });

  it('removes a cap only after confirmation', async () => {
    await loaded();
    buttonIn(el(), 'Remove lifetime cap').click();
    await settle();
    let dialog = lastDialog();
    expect(dialog.textContent).toContain('Remove the lifetime cap?');
    expect(dialog.textContent).toContain('no longer limited to $100.00 since the token was created');
    buttonIn(dialog, 'Cancel').click();
    await settle();
    expect(openDialogs()).toHaveLength(0);
    http.expectNone(`/api/v1/tokens/${TOKEN.id}/spend/lifetime`);

    buttonIn(el(), 'Remove lifetime cap').click();
    await settle();
    dialog = lastDialog();
    buttonIn(dialog, 'Remove cap').click();
    await settle();
    const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}/spend/lifetime`);
    expect(req.request.method).toBe('DELETE');
    req.flush(null, { status: 204, statusText: 'No Content' });
    await settle();
    expect(document.body.textContent).toContain('Lifetime cap removed.');
    await loaded({ ...TOKEN_SPEND, lifetime_limit_usd: null });
    expect(row('lifetime').cap).toBe('No cap');
  });

  it('shows a failed removal inline', async () => {
    await loaded();
    buttonIn(el(), 'Remove daily cap').click();
    await settle();
    buttonIn(lastDialog(), 'Remove cap').click();
    await settle();
    const { body, init } = envelope('forbidden', 'Scope tokens:write required', 403);
    http.expectOne(`/api/v1/tokens/${TOKEN.id}/spend/daily`).flush(body, init);
    await settle();
    expect(text(el().querySelector('[data-testid="cap-remove-error"]'))).toBe('Could not remove the cap: Scope tokens:write required');
  });

  it('shows read failures of the status and the history separately', async () => {
    const { body, init } = envelope('forbidden', 'Scope tokens:read required', 403);
    http.expectOne(`/api/v1/tokens/${TOKEN.id}/spend`).flush(body, init);
    http.expectOne((r) => r.url === `/api/v1/tokens/${TOKEN.id}/spend/history`).flush(body, init);
    await settle();
    expect(text(el().querySelector('[data-testid="spend-load-error"]'))).toBe('Could not read the spend: Scope tokens:read required');
    expect(text(el().querySelector('[data-testid="history-error"]'))).toBe('Could not read the spend history: Scope tokens:read required');
    expect(el().querySelector('svg')).toBeNull();
  });

  it('Refresh re-reads the spend and the history', async () => {
    await loaded();
    buttonIn(el(), 'Refresh spend').click();
    await settle();
    await loaded({ ...TOKEN_SPEND, current_daily_usd: 2.5 });
    expect(row('daily')).toMatchObject({ spent: '$2.50', used: '50%' });
  });
});
