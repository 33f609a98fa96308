import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import type { AdminAuditEntry } from '@ailink/shared-contracts';
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
import { AdminActivityPage } from './admin-activity-page';

const KEY_ID = '7b7b7b7b-7b7b-4b7b-8b7b-7b7b7b7b7b7b';

function entry(overrides: Partial<AdminAuditEntry> = {}): AdminAuditEntry {
  return {
    id: 'e1',
    org_id: '00000000-0000-0000-0000-000000000001',
    actor: 'admin_key',
    auth_method: 'admin_key',
    method: 'PATCH',
    path: '/api/v1/tokens/tok_0123456789abcdef01234567',
    resource_kind: 'token',
    resource_id: 'tok_0123456789abcdef01234567',
    status: 200,
    request_id: 'req_0123456789abcdef0123456789abcdef',
    created_at: '2026-01-05T10:00:03Z',
    before: { id: 'tok_0123456789abcdef01234567', name: 'support', is_active: true, circuit_breaker: { enabled: true } },
    after: { id: 'tok_0123456789abcdef01234567', name: 'support-v2', is_active: true, circuit_breaker: { enabled: false }, tags: {} },
    project_id: '00000000-0000-0000-0000-000000000001',
    route: '/api/v1/tokens/:id',
    ...overrides,
  };
}

const A = entry();
const B = entry({
  id: 'e2',
  created_at: '2026-01-05T10:00:02Z',
  actor: KEY_ID,
  auth_method: 'api_key',
  method: 'POST',
  path: '/api/v1/credentials',
  route: '/api/v1/credentials',
  resource_kind: 'credential',
  resource_id: '11111111-1111-4111-8111-111111111111',
  status: 201,
  before: null,
  after: { id: '11111111-1111-4111-8111-111111111111', name: 'openai', provider: 'openai' },
});
const C = entry({ id: 'e3', created_at: '2026-01-05T10:00:01Z', method: 'DELETE', status: 204, after: null, resource_kind: 'team.member' });

describe('AdminActivityPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<AdminActivityPage>;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    fixture = TestBed.createComponent(AdminActivityPage);
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
    return Array.from(el().querySelectorAll('tr[mat-row]')).map((tr) => tr.getAttribute('data-testid')?.replace('activity-row-', '') ?? '');
  }

  function expectPage(params: string): TestRequest {
    return http.expectOne((r) => r.url === '/api/v1/audit/admin' && r.params.toString() === params);
  }

  async function firstPage(rows = [A, B], next: string | null = 'cursor-2'): Promise<void> {
    expectPage('limit=50').flush(rows, { headers: next ? { 'X-Next-Cursor': next } : {} });
    await settle();
  }

  it('lists the newest writes with one h1 and labelled columns', async () => {
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    expect(el().querySelector('h1')?.textContent).toBe('Admin activity');
    await firstPage();
    expect(Array.from(el().querySelectorAll('th')).map((th) => th.textContent?.trim())).toEqual([
      'Time',
      'Actor',
      'Method',
      'Resource',
      'Resource id',
      'Path',
      'Status',
    ]);
    expect(ids()).toEqual(['e1', 'e2']);
    const cells = (row: number) =>
      Array.from(el().querySelectorAll('tr[mat-row]')[row].querySelectorAll('td')).map((td) => td.textContent?.trim());
    expect(cells(0).slice(1)).toEqual(['Admin key', 'PATCH', 'token', 'tok_01234567…', A.path, '200']);
    expect(cells(1).slice(1, 4)).toEqual(['API key 7b7b7b7b…', 'POST', 'credential']);
  });

  it('"Load more" follows X-Next-Cursor until the last page', async () => {
    await firstPage();
    buttonIn(el(), 'Load more').click();
    await settle();
    expectPage('limit=50&cursor=cursor-2').flush([B, C]);
    await settle();
    expect(ids()).toEqual(['e1', 'e2', 'e3']);
    expect(Array.from(el().querySelectorAll('button')).some((b) => b.textContent?.trim() === 'Load more')).toBe(false);
    expect(el().querySelector('[data-testid="activity-end"]')?.textContent).toContain('End of the admin activity');
  });

  it('applies the filters as query parameters, and Clear removes them', async () => {
    await firstPage();
    typeInto(fieldIn(el(), 'Actor'), ' admin_key ');
    typeInto(fieldIn(el(), 'Resource kind'), 'token');
    typeInto(fieldIn(el(), 'Resource id'), 'tok_abc');
    await chooseOption(el(), 'Method', 'DELETE');
    typeInto(fieldIn(el(), 'From'), '2026-01-01T00:00');
    typeInto(fieldIn(el(), 'To'), '2026-01-02T00:00');
    await settle();
    buttonIn(el(), 'Apply filters').click();
    await settle();
    const from = new Date('2026-01-01T00:00').toISOString();
    const to = new Date('2026-01-02T00:00').toISOString();
    const req = http.expectOne((r) => r.url === '/api/v1/audit/admin');
    expect(req.request.params.toString()).toBe(
      `actor=admin_key&resource_kind=token&resource_id=tok_abc&method=DELETE&from=${from}&to=${to}&limit=50`,
    );
    req.flush([]);
    await settle();
    expect(el().querySelector('[data-testid="activity-empty"]')?.textContent).toContain('No admin activity matches these filters.');

    buttonIn(el(), 'Clear').click();
    await settle();
    expectPage('limit=50').flush([A]);
    await settle();
    expect(ids()).toEqual(['e1']);
  });

  it('refuses a reversed time range without calling the API', async () => {
    await firstPage();
    typeInto(fieldIn(el(), 'From'), '2026-01-02T00:00');
    typeInto(fieldIn(el(), 'To'), '2026-01-01T00:00');
    await settle();
    buttonIn(el(), 'Apply filters').click();
    await settle();
    http.expectNone((r) => r.url === '/api/v1/audit/admin');
    expect(el().querySelector('p[role="alert"]')?.textContent).toContain('“To” must be later than “From”.');
  });

  it('shows the API error when the activity cannot be read', async () => {
    const { body, init } = envelope('forbidden', 'Scope audit:read required', 403);
    expectPage('limit=50').flush(body, init);
    await settle();
    expect(el().querySelector('[data-testid="load-error"]')?.textContent?.trim()).toBe(
      'Could not read the admin activity: Scope audit:read required',
    );
  });

  describe('detail side sheet', () => {
    async function open(row: number): Promise<HTMLElement> {
      (el().querySelectorAll('tr[mat-row]')[row].querySelector('td button') as HTMLButtonElement).click();
      await settle();
      return lastDialog();
    }

    function diffRows(sheet: HTMLElement): string[][] {
      return Array.from(sheet.querySelectorAll('[data-testid="diff"] tbody tr')).map((tr) =>
        Array.from(tr.querySelectorAll('th, td')).map((c) => c.textContent?.replace(/\s+/g, ' ').trim() ?? ''),
      );
    }

    it('shows the facts and the changed fields, and the unchanged ones on request', async () => {
      await firstPage();
      const sheet = await open(0);
      expect(sheet.closest('.ailink-side-sheet')).not.toBeNull();
      expect(sheet.querySelector('h2')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('PATCH token tok_0123456789abcdef01234567');
      const facts = Array.from(sheet.querySelectorAll('[data-testid="entry-facts"] dt')).map((dt) => dt.textContent?.trim());
      expect(facts).toEqual([
        'Time',
        'Actor',
        'Signed in with',
        'Resource',
        'Resource id',
        'Project',
        'Request',
        'Route',
        'Status',
        'Request id',
        'Entry id',
      ]);
      expect(sheet.querySelector('[data-testid="diff-summary"]')?.textContent?.trim()).toBe('2 fields changed, 1 added');
      expect(diffRows(sheet)).toEqual([
        ['name', 'support', 'support-v2', 'Changed'],
        ['circuit_breaker.enabled', 'true', 'false', 'Changed'],
        ['tags', '—', '{}', 'Added'],
      ]);
      const toggle = sheet.querySelector('[data-testid="show-unchanged"] button') as HTMLButtonElement;
      expect(sheet.querySelector('[data-testid="show-unchanged"]')?.textContent?.trim()).toBe('Show 2 unchanged fields');
      toggle.click();
      await settle();
      expect(diffRows(sheet).map((r) => r[0])).toEqual(['id', 'name', 'is_active', 'circuit_breaker.enabled', 'tags']);
    });

    it('shows a create as added fields and a delete as removed ones', async () => {
      await firstPage([A, B, C], null);
      let sheet = await open(1);
      expect(diffRows(sheet)).toEqual([
        ['id', '—', '11111111-1111-4111-8111-111111111111', 'Added'],
        ['name', '—', 'openai', 'Added'],
        ['provider', '—', 'openai', 'Added'],
      ]);
      expect(sheet.textContent).toContain('API key');
      TestBed.inject(MatDialog).closeAll();
      await settle();
      sheet = await open(2);
      expect(sheet.querySelector('h2')?.textContent).toContain('team member');
      expect(diffRows(sheet).every((r) => r[3] === 'Removed')).toBe(true);
    });

    it('says so when no snapshot was recorded', async () => {
      await firstPage([entry({ before: null, after: null })], null);
      const sheet = await open(0);
      expect(sheet.querySelector('[data-testid="no-snapshots"]')?.textContent).toContain('No snapshot');
      expect(sheet.querySelector('[data-testid="diff"]')).toBeNull();
    });

    it('filters the list by the resource or the actor of an entry', async () => {
      await firstPage();
      let sheet = await open(1);
      buttonIn(sheet, 'All changes to this resource').click();
      await settle();
      expect(openDialogs()).toHaveLength(0);
      let req = http.expectOne((r) => r.url === '/api/v1/audit/admin');
      expect(req.request.params.toString()).toBe(`resource_kind=credential&resource_id=${B.resource_id}&limit=50`);
      req.flush([B]);
      await settle();
      expect((fieldIn(el(), 'Resource id') as HTMLInputElement).value).toBe(B.resource_id);

      sheet = await open(0);
      buttonIn(sheet, 'All changes by this actor').click();
      await settle();
      req = http.expectOne((r) => r.url === '/api/v1/audit/admin');
      expect(req.request.params.toString()).toBe(`actor=${KEY_ID}&limit=50`);
      req.flush([]);
      await settle();
    });
  });
});
