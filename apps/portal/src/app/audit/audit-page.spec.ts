import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { ApiClient, ApiError } from '@ailink/portal-data-access';
import type { AuditDetail, AuditFilters, AuditSummary } from '@ailink/shared-contracts';
import { Observable, Subscriber } from 'rxjs';
import {
  auditRecord,
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
import { AuditPage } from './audit-page';

const A = auditRecord({ id: 'a1', created_at: '2026-01-05T10:00:03Z', path: '/v1/chat/completions' });
const B = auditRecord({ id: 'a2', created_at: '2026-01-05T10:00:02Z', upstream_status: 503, method: 'GET', path: '/v1/models' });
const C = auditRecord({ id: 'a3', created_at: '2026-01-05T10:00:01Z', upstream_status: 429 });

describe('AuditPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<AuditPage>;
  let streamSubscriber: Subscriber<AuditSummary[]> | null;
  let streamClosed: boolean;
  let streamFilters: AuditFilters[];

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    streamSubscriber = null;
    streamClosed = false;
    streamFilters = [];
    jest.spyOn(TestBed.inject(ApiClient), 'auditStream').mockImplementation((filters: AuditFilters = {}) => {
      streamFilters.push(filters);
      return new Observable<AuditSummary[]>((subscriber) => {
        streamSubscriber = subscriber;
        streamClosed = false;
        return () => (streamClosed = true);
      });
    });
    fixture = TestBed.createComponent(AuditPage);
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

  function ids(): string[] {
    return Array.from(el().querySelectorAll('tr[mat-row]')).map((tr) => tr.getAttribute('data-testid')?.replace('audit-row-', '') ?? '');
  }

  function expectPage(params: string): TestRequest {
    return http.expectOne((r) => r.url === '/api/v1/audit' && r.params.toString() === params);
  }

  async function firstPage(rows = [A, B], next: string | null = 'cursor-2'): Promise<void> {
    expectPage('limit=50').flush(rows, { headers: next ? { 'X-Next-Cursor': next } : {} });
    await settle();
  }

  it('shows the newest records with one h1 and labelled columns', async () => {
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    expect(el().querySelector('h1')?.textContent).toBe('Audit log');
    await firstPage();
    expect(Array.from(el().querySelectorAll('th')).map((th) => th.textContent?.trim())).toEqual([
      'Time',
      'Status',
      'Method',
      'Path',
      'Model',
      'Token',
      'Latency',
      'Cost',
      'Policy',
    ]);
    expect(ids()).toEqual(['a1', 'a2']);
    const cells = Array.from(el().querySelectorAll('tr[mat-row]')[1].querySelectorAll('td')).map((td) => td.textContent?.trim());
    expect(cells.slice(1, 5)).toEqual(['503', 'GET', '/v1/models', 'gpt-4o-mini']);
    expect(cells[5]).toBe('tok_01234567…');
    expect(cells[6]).toBe('420 ms');
    expect(cells[7]).toBe('$0.001250');
  });

  it('"Load more" follows X-Next-Cursor until the last page', async () => {
    await firstPage();
    buttonIn(el(), 'Load more').click();
    await settle();
    expectPage('limit=50&cursor=cursor-2').flush([B, C]);
    await settle();
    expect(ids()).toEqual(['a1', 'a2', 'a3']);
    expect(Array.from(el().querySelectorAll('button')).some((b) => b.textContent?.trim() === 'Load more')).toBe(false);
    expect(el().querySelector('[data-testid="audit-end"]')?.textContent).toContain('End of the audit log');
  });

  it('applies the filters as query parameters', async () => {
    await firstPage();
    typeInto(fieldIn(el(), 'Token id'), 'tok_abc');
    typeInto(fieldIn(el(), 'Status'), '5XX');
    typeInto(fieldIn(el(), 'Model'), 'gpt-4o');
    await chooseOption(el(), 'Method', 'POST');
    await chooseOption(el(), 'Policy result', 'denied');
    typeInto(fieldIn(el(), 'From'), '2026-01-01T00:00');
    typeInto(fieldIn(el(), 'To'), '2026-01-02T00:00');
    await settle();
    buttonIn(el(), 'Apply filters').click();
    await settle();
    const from = new Date('2026-01-01T00:00').toISOString();
    const to = new Date('2026-01-02T00:00').toISOString();
    const req = http.expectOne((r) => r.url === '/api/v1/audit');
    expect(req.request.params.toString()).toBe(
      `token_id=tok_abc&status=5xx&model=gpt-4o&method=POST&policy_result=denied&from=${from}&to=${to}&limit=50`,
    );
    req.flush([]);
    await settle();
    expect(el().querySelector('[data-testid="audit-empty"]')?.textContent).toContain('No audit records match these filters.');

    buttonIn(el(), 'Clear').click();
    await settle();
    expectPage('limit=50').flush([A]);
    await settle();
    expect(ids()).toEqual(['a1']);
  });

  it('rejects an invalid status and a reversed range without calling the API', async () => {
    await firstPage();
    typeInto(fieldIn(el(), 'Status'), '99');
    typeInto(fieldIn(el(), 'From'), '2026-01-02T00:00');
    typeInto(fieldIn(el(), 'To'), '2026-01-01T00:00');
    await settle();
    buttonIn(el(), 'Apply filters').click();
    await settle();
    http.expectNone((r) => r.url === '/api/v1/audit');
    expect(el().textContent).toContain('A code (429) or a class (5xx).');
    expect(el().querySelector('p[role="alert"]')?.textContent).toContain('“To” must be later than “From”.');
  });

  it('shows the API error when the log cannot be read', async () => {
    const { body, init } = envelope('forbidden', 'Scope audit:read required', 403);
    expectPage('limit=50').flush(body, init);
    await settle();
    expect(el().querySelector('[data-testid="load-error"]')?.textContent?.trim()).toBe(
      'Could not read the audit log: Scope audit:read required',
    );
  });

  describe('detail side sheet', () => {
    it('shows the detail with headers and pretty-printed bodies', async () => {
      await firstPage();
      (el().querySelector('tr[mat-row] td button') as HTMLButtonElement).click();
      await settle();
      const sheet = lastDialog();
      expect(sheet.closest('.ailink-side-sheet')).not.toBeNull();
      expect(sheet.querySelector('h2')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('POST /v1/chat/completions');
      const detail: AuditDetail = {
        ...A,
        request_id: 'req_abc',
        upstream_url: 'https://api.openai.com/v1/chat/completions',
        policy_mode: 'enforce',
        policies_evaluated: [],
        deny_reason: null,
        hitl_required: false,
        hitl_decision: null,
        hitl_latency_ms: null,
        approval_id: null,
        ttft_ms: 120,
        parent_span_id: null,
        tool_calls: null,
        router_info: null,
        experiment_name: null,
        variant_name: null,
        custom_properties: null,
        guardrail_errors: [],
        async_findings: [],
        pricing_missing: false,
        payload_url: null,
        request_body: '{"model":"gpt-4o-mini","messages":[]}',
        response_body: 'plain text',
        request_headers: { 'content-type': 'application/json', authorization: '***' },
        response_headers: { 'x-request-id': 'up_1' },
        bodies_expired_at: null,
        prev_hash: '0'.repeat(64),
        hash: 'f'.repeat(64),
      };
      http.expectOne('/api/v1/audit/a1').flush(detail);
      await settle();

      const facts = new Map(
        Array.from(sheet.querySelectorAll('[data-testid="audit-facts"] dt')).map((dt) => [
          dt.textContent?.trim(),
          dt.nextElementSibling?.textContent?.trim(),
        ]),
      );
      expect(facts.get('Request id')).toBe('req_abc');
      expect(facts.get('Time to first token')).toBe('120 ms');
      expect(facts.get('Time')).toMatch(/2026/);
      expect(facts.get('Hash')).toBe('f'.repeat(64));
      expect(facts.get('Streaming')).toBe('no');
      expect(facts.get('Log level')).toBe('redacted (1)');
      expect(facts.has('Deny reason')).toBe(false);
      const reqHeaders = Array.from(sheet.querySelectorAll('[data-testid="request-headers"] tr')).map((tr) =>
        Array.from(tr.children).map((cell) => cell.textContent?.trim()),
      );
      expect(reqHeaders).toEqual([
        ['authorization', '***'],
        ['content-type', 'application/json'],
      ]);
      expect(sheet.querySelector('[data-testid="request-body"]')?.textContent).toBe('{\n  "model": "gpt-4o-mini",\n  "messages": []\n}');
      expect(sheet.querySelector('[data-testid="response-body"]')?.textContent).toBe('plain text');

      buttonIn(sheet, 'Close').click();
      await settle();
      expect(openDialogs()).toHaveLength(0);
    });

    it('says when no bodies were kept, and shows a failed load', async () => {
      await firstPage();
      (el().querySelectorAll('tr[mat-row] td button')[1] as HTMLButtonElement).click();
      await settle();
      const { body, init } = envelope('not_found', 'Audit record not found', 404);
      http.expectOne('/api/v1/audit/a2').flush(body, init);
      await settle();
      expect(lastDialog().querySelector('[role="alert"]')?.textContent?.trim()).toBe('Could not load the record: Audit record not found');
      TestBed.inject(MatDialog).closeAll();
      await settle();

      (el().querySelector('tr[mat-row] td button') as HTMLButtonElement).click();
      await settle();
      http
        .expectOne('/api/v1/audit/a1')
        .flush({ ...A, request_body: null, response_body: null, request_headers: null, response_headers: null });
      await settle();
      expect(lastDialog().querySelector('[data-testid="no-bodies"]')).not.toBeNull();
    });
  });

  describe('Live', () => {
    function toggle(): HTMLButtonElement {
      return el().querySelector('[data-testid="live-toggle"] button') as HTMLButtonElement;
    }

    it('tails the stream with the applied filters and prepends new records once', async () => {
      await firstPage([B]);
      typeInto(fieldIn(el(), 'Token id'), 'tok_abc');
      typeInto(fieldIn(el(), 'From'), '2026-01-01T00:00');
      await settle();
      buttonIn(el(), 'Apply filters').click();
      await settle();
      http.expectOne((r) => r.url === '/api/v1/audit').flush([B]);
      await settle();

      toggle().click();
      await settle();
      expect(toggle().getAttribute('aria-checked')).toBe('true');
      expect(streamFilters).toEqual([{ token_id: 'tok_abc' }]);
      expect(el().querySelector('[data-testid="live-status"]')?.textContent?.trim()).toBe('Live: waiting for new requests…');

      streamSubscriber?.next([C, A]);
      await settle();
      streamSubscriber?.next([A]);
      await settle();
      expect(ids()).toEqual(['a1', 'a3', 'a2']);
      expect(el().querySelector('[data-testid="live-status"]')?.textContent?.trim()).toBe('Live: 2 new records added.');

      toggle().click();
      await settle();
      expect(streamClosed).toBe(true);
      expect(toggle().getAttribute('aria-checked')).toBe('false');
    });

    it('stops the stream when the page is left', async () => {
      await firstPage();
      toggle().click();
      await settle();
      expect(streamClosed).toBe(false);
      fixture.destroy();
      expect(streamClosed).toBe(true);
    });

    it('turns itself off and says why when the stream fails or ends', async () => {
      await firstPage();
      toggle().click();
      await settle();
      streamSubscriber?.error(new ApiError(403, 'forbidden', 'Scope audit:read required'));
      await settle();
      expect(toggle().getAttribute('aria-checked')).toBe('false');
      expect(el().querySelector('[data-testid="live-error"]')?.textContent?.trim()).toBe('Live updates stopped: Scope audit:read required');

      toggle().click();
      await settle();
      expect(el().querySelector('[data-testid="live-error"]')).toBeNull();
      streamSubscriber?.complete();
      await settle();
      expect(el().querySelector('[data-testid="live-status"]')?.textContent?.trim()).toBe(
        'The live stream ended. Turn Live on again to resume.',
      );
    });
  });
});
