import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import type { PricingRow } from '@ailink/shared-contracts';
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
import { PricingPage, effectivePrices } from './pricing-page';
import { BUILTIN_PRICE, BUILTIN_PRICE_2, OVERRIDE_PRICE } from './spend-testing';

const ALL: PricingRow[] = [BUILTIN_PRICE_2, BUILTIN_PRICE, OVERRIDE_PRICE];

describe('effectivePrices', () => {
  it('marks overrides, built-in rows, and the built-in rows an override with the same key replaces; drops inactive rows', () => {
    const gone = { ...OVERRIDE_PRICE, id: 'x', provider: 'anthropic', model_pattern: 'CLAUDE-3-5-HAIKU*', is_active: false };
    expect(effectivePrices([...ALL, gone]).map((r) => [r.price.id, r.source])).toEqual([
      [BUILTIN_PRICE_2.id, 'builtin'],
      [BUILTIN_PRICE.id, 'overridden'],
      [OVERRIDE_PRICE.id, 'override'],
    ]);
    // Patterns compare case-insensitively, providers exactly.
    const upper = { ...OVERRIDE_PRICE, model_pattern: 'GPT-4O*' };
    expect(effectivePrices([BUILTIN_PRICE, upper]).map((r) => r.source)).toEqual(['overridden', 'override']);
    expect(effectivePrices([BUILTIN_PRICE, { ...OVERRIDE_PRICE, provider: '*' }]).map((r) => r.source)).toEqual(['builtin', 'override']);
  });
});

describe('PricingPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<PricingPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    fixture = TestBed.createComponent(PricingPage);
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

  function rowTexts(): string[][] {
    return Array.from(el().querySelectorAll('tr[mat-row]')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => text(td)));
  }

  async function flushList(rows: PricingRow[] = ALL): Promise<void> {
    const req = http.expectOne((r) => r.url === '/api/v1/pricing' && r.method === 'GET');
    expect(req.request.params.keys()).toEqual([]);
    req.flush(rows);
    await settle();
  }

  it('lists the effective price table: built-in rows and overrides, marked, the override next to the row it replaces', async () => {
    expect(Array.from(el().querySelectorAll('h1')).map((h) => text(h))).toEqual(['Pricing']);
    await flushList();
    expect(rowTexts().map((r) => r.slice(0, 6))).toEqual([
      ['Anthropic', 'claude-3-5-haiku*', '$0.80', '$4.00', 'as input', 'Built-in'],
      ['OpenAI', 'gpt-4o*max output 4096 tokens', '$2.00', '$8.00', 'as input', 'Override'],
      ['OpenAI', 'gpt-4o*', '$2.50', '$10.00', '$1.25', 'Built-in, overridden'],
    ]);
    expect(rowTexts().map((r) => r[6])).toEqual(['Override', 'Edit Delete', '']);
    const replaced = el().querySelector(`[data-testid="price-row-openai-gpt-4o*"].replaced`);
    expect(replaced).not.toBeNull();
    expect(text(el().querySelector('mat-button-toggle-group'))).toContain('Overrides (1)');
  });

  it('filters by text and by source', async () => {
    await flushList();
    typeInto(el().querySelector('input[type="search"]') as HTMLInputElement, 'anthropic');
    await settle();
    expect(rowTexts().map((r) => r[1])).toEqual(['claude-3-5-haiku*']);
    typeInto(el().querySelector('input[type="search"]') as HTMLInputElement, '');
    await settle();
    buttonIn(el(), 'Overrides (1)').click();
    await settle();
    expect(rowTexts().map((r) => r[5])).toEqual(['Override']);
    buttonIn(el(), 'Built-in').click();
    await settle();
    expect(rowTexts().map((r) => r[5])).toEqual(['Built-in', 'Built-in, overridden']);
    typeInto(el().querySelector('input[type="search"]') as HTMLInputElement, 'nothing-like-this');
    await settle();
    expect(text(el().querySelector('.empty-state'))).toBe('No price matches this filter.');
  });

  it('creates an override with provider, glob pattern and prices as decimal strings', async () => {
    await flushList([BUILTIN_PRICE]);
    buttonIn(el(), 'New override').click();
    await settle();
    const dialog = lastDialog();
    expect(text(dialog.querySelector('h2'))).toBe('New price override');
    await chooseOption(dialog, 'Provider', 'Any provider (*)');
    typeInto(fieldIn(dialog, 'Model pattern'), ' *llama-3.1-?b* ');
    typeInto(fieldIn(dialog, 'Input per 1M tokens (USD)'), '0.2');
    typeInto(fieldIn(dialog, 'Output per 1M tokens (USD)'), '0.4');
    typeInto(fieldIn(dialog, 'Cached input per 1M tokens (USD, optional)'), '0.05');
    await settle();
    buttonIn(dialog, 'Add override').click();
    await settle();
    const req = http.expectOne((r) => r.url === '/api/v1/pricing' && r.method === 'PUT');
    expect(req.request.body).toEqual({
      provider: '*',
      model_pattern: '*llama-3.1-?b*',
      input_per_m: '0.2',
      output_per_m: '0.4',
      cached_input_per_m: '0.05',
      max_output_tokens: null,
    });
    req.flush({ success: true, id: '77777777-7777-4777-8777-777777777777' });
    await settle();
    expect(openDialogs()).toHaveLength(0);
    expect(document.body.textContent).toContain('Override for * *llama-3.1-?b* saved.');
    await flushList();
  });

  it('starts an override from a built-in row with its key and prices prefilled', async () => {
    await flushList([BUILTIN_PRICE_2]);
    buttonIn(el(), 'Override anthropic claude-3-5-haiku*').click();
    await settle();
    const dialog = lastDialog();
    expect((fieldIn(dialog, 'Model pattern') as HTMLInputElement).value).toBe('claude-3-5-haiku*');
    expect((fieldIn(dialog, 'Input per 1M tokens (USD)') as HTMLInputElement).value).toBe('0.8');
    expect((fieldIn(dialog, 'Output per 1M tokens (USD)') as HTMLInputElement).value).toBe('4');
    typeInto(fieldIn(dialog, 'Input per 1M tokens (USD)'), '0.7');
    await settle();
    buttonIn(dialog, 'Add override').click();
    await settle();
    const req = http.expectOne((r) => r.url === '/api/v1/pricing' && r.method === 'PUT');
    expect(req.request.body).toMatchObject({
      provider: 'anthropic',
      model_pattern: 'claude-3-5-haiku*',
      input_per_m: '0.7',
      output_per_m: '4',
    });
    req.flush({ success: true, id: OVERRIDE_PRICE.id });
    await settle();
    await flushList();
  });

  it('edits an override with its key fixed, clearing optional fields with null', async () => {
    await flushList();
    buttonIn(el(), 'Edit override openai gpt-4o*').click();
    await settle();
    const dialog = lastDialog();
    expect(text(dialog.querySelector('h2'))).toBe('Edit override for gpt-4o*');
    expect((fieldIn(dialog, 'Model pattern') as HTMLInputElement).disabled).toBe(true);
    expect((fieldIn(dialog, 'Max output tokens (optional)') as HTMLInputElement).value).toBe('4096');
    typeInto(fieldIn(dialog, 'Output per 1M tokens (USD)'), '9.5');
    typeInto(fieldIn(dialog, 'Max output tokens (optional)'), '');
    await settle();
    buttonIn(dialog, 'Save override').click();
    await settle();
    const req = http.expectOne((r) => r.url === '/api/v1/pricing' && r.method === 'PUT');
    expect(req.request.body).toEqual({
      provider: 'openai',
      model_pattern: 'gpt-4o*',
      input_per_m: '2',
      output_per_m: '9.5',
      cached_input_per_m: null,
      max_output_tokens: null,
    });
    req.flush({ success: true, id: OVERRIDE_PRICE.id });
    await settle();
    await flushList();
  });

  it('checks the form before sending and shows the API’s validation problems in the dialog', async () => {
    await flushList([]);
    expect(text(el().querySelector('.empty-state'))).toBe('No prices yet.');
    buttonIn(el(), 'New override').click();
    await settle();
    const dialog = lastDialog();
    buttonIn(dialog, 'Add override').click();
    await settle();
    expect(Array.from(dialog.querySelectorAll('mat-error')).map((e) => text(e))).toEqual([
      'Enter a model pattern.',
      'Enter the input price.',
      'Enter the output price.',
    ]);
    typeInto(fieldIn(dialog, 'Model pattern'), 'gpt 4');
    typeInto(fieldIn(dialog, 'Input per 1M tokens (USD)'), '-1');
    typeInto(fieldIn(dialog, 'Output per 1M tokens (USD)'), '1');
    typeInto(fieldIn(dialog, 'Max output tokens (optional)'), '0');
    await settle();
    expect(Array.from(dialog.querySelectorAll('mat-error')).map((e) => text(e))).toEqual([
      'Spaces and control characters are not allowed.',
      'Enter a price like 2.50 (0 or more, up to 6 decimals).',
      'Enter a whole number from 1 to 10000000.',
    ]);
    http.expectNone((r) => r.method === 'PUT');

    typeInto(fieldIn(dialog, 'Model pattern'), 'gpt-4*');
    typeInto(fieldIn(dialog, 'Input per 1M tokens (USD)'), '1000000');
    typeInto(fieldIn(dialog, 'Max output tokens (optional)'), '');
    await settle();
    buttonIn(dialog, 'Add override').click();
    await settle();
    const { body, init } = envelope('validation_error', 'Request validation failed', 422, {
      errors: [{ path: '$.input_per_m', message: 'must be at most 999999.999999' }],
    });
    http.expectOne((r) => r.url === '/api/v1/pricing' && r.method === 'PUT').flush(body, init);
    await settle();
    const alert = dialog.querySelector('[data-testid="pricing-error"]');
    expect(text(alert?.querySelector('p'))).toBe('Not saved: Request validation failed');
    expect(Array.from(alert?.querySelectorAll('li') ?? []).map((li) => text(li))).toEqual(['$.input_per_m: must be at most 999999.999999']);
    expect(openDialogs()).toHaveLength(1);
  });

  it('deletes an override after confirmation', async () => {
    await flushList();
    buttonIn(el(), 'Delete override openai gpt-4o*').click();
    await settle();
    let dialog = lastDialog();
    expect(text(dialog.querySelector('h2'))).toBe('Delete the override for gpt-4o*?');
    buttonIn(dialog, 'Cancel').click();
    await settle();
    http.expectNone(`/api/v1/pricing/${OVERRIDE_PRICE.id}`);

    buttonIn(el(), 'Delete override openai gpt-4o*').click();
    await settle();
    dialog = lastDialog();
    buttonIn(dialog, 'Delete override').click();
    await settle();
    const req = http.expectOne(`/api/v1/pricing/${OVERRIDE_PRICE.id}`);
    expect(req.request.method).toBe('DELETE');
    req.flush({ id: OVERRIDE_PRICE.id, deleted: true });
    await settle();
    expect(document.body.textContent).toContain('Override for openai gpt-4o* deleted.');
    await flushList([BUILTIN_PRICE_2, BUILTIN_PRICE]);
    expect(rowTexts().map((r) => r[5])).toEqual(['Built-in', 'Built-in']);
  });

  it('shows a failed delete inline', async () => {
    await flushList();
    buttonIn(el(), 'Delete override openai gpt-4o*').click();
    await settle();
    buttonIn(lastDialog(), 'Delete override').click();
    await settle();
    const { body, init } = envelope('forbidden', 'Scope pricing:write required', 403);
    http.expectOne(`/api/v1/pricing/${OVERRIDE_PRICE.id}`).flush(body, init);
    await settle();
    expect(text(el().querySelector('[data-testid="action-error"]'))).toBe('The action failed: Scope pricing:write required');
  });

  it('shows the API error when prices cannot be listed', async () => {
    const { body, init } = envelope('forbidden', 'Scope pricing:read required', 403);
    http.expectOne('/api/v1/pricing').flush(body, init);
    await settle();
    expect(text(el().querySelector('[data-testid="load-error"]'))).toBe('Could not list prices: Scope pricing:read required');
  });
});
