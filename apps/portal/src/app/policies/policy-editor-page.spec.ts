import { HttpTestingController } from '@angular/common/http/testing';
import { Component } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import type { Policy, PolicyVersion, ShadowReport } from '@ailink/shared-contracts';
import { buttonIn, envelope, fieldIn, lastDialog, pageTestProviders, settle, signInForTest, typeInto } from '../testing-pages';
import { PoliciesPage } from './policies-page';
import { PolicyEditorPage } from './policy-editor-page';

@Component({ template: '<h1>Policies list</h1>' })
class ListStub {}

const ID = '44444444-4444-4444-8444-444444444444';
const POLICY: Policy = {
  id: ID,
  project_id: '00000000-0000-0000-0000-000000000001',
  name: 'guard',
  mode: 'shadow',
  phase: 'pre',
  rules: [{ when: { field: 'request.method', op: 'eq', value: 'POST' }, then: { action: 'deny', status: 451 } }],
  retry: null,
  buffer_streaming_for_post_flight: false,
  managed: false,
  presets: [],
  is_active: true,
  version: 2,
  created_at: '2026-03-01T10:00:00Z',
  updated_at: '2026-03-02T10:00:00Z',
};
const VERSIONS: PolicyVersion[] = [
  {
    id: 'v2',
    policy_id: ID,
    version: 2,
    name: 'guard',
    mode: 'shadow',
    phase: 'pre',
    rules: POLICY.rules,
    retry: null,
    changed_by: 'k1',
    created_at: '2026-03-02T10:00:00Z',
  },
  {
    id: 'v1',
    policy_id: ID,
    version: 1,
    name: 'guard',
    mode: 'enforce',
    phase: 'pre',
    rules: POLICY.rules,
    retry: null,
    changed_by: 'k1',
    created_at: '2026-03-01T10:00:00Z',
  },
];
const REPORT: ShadowReport = {
  policy_id: ID,
  from: '2026-03-01T00:00:00Z',
  to: '2026-03-02T00:00:00Z',
  total_requests: 40,
  would_have_fired: 12,
  by_rule: [
    { rule_index: 0, actions: ['deny'], count: 12, would_block: 12 },
    { rule_index: 2, actions: ['rate_limit'], count: 6, would_block: 1 },
  ],
};

describe('PolicyEditorPage', () => {
  let http: HttpTestingController;
  let harness: RouterTestingHarness;

  async function open(url: string): Promise<void> {
    await harness.navigateByUrl(url);
    await settle();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: pageTestProviders([
        { path: 'policies', component: ListStub },
        { path: 'policies/new', component: PolicyEditorPage },
        { path: 'policies/:id', component: PolicyEditorPage },
      ]),
    });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    harness = await RouterTestingHarness.create();
    harness.fixture.autoDetectChanges();
  });

  afterEach(async () => {
    TestBed.inject(MatDialog).closeAll();
    await settle();
    http.verify();
  });

  function el(): HTMLElement {
    return harness.fixture.nativeElement as HTMLElement;
  }

  function rules(): HTMLTextAreaElement {
    return fieldIn(el(), 'Rules (JSON array)') as HTMLTextAreaElement;
  }

  async function flushExisting(): Promise<void> {
    http.expectOne(`/api/v1/policies/${ID}`).flush(POLICY);
    http.expectOne(`/api/v1/policies/${ID}/versions`).flush(VERSIONS);
    http.expectOne((r) => r.url === `/api/v1/policies/${ID}/shadow-report`).flush(REPORT);
    await settle();
  }

  it('creates a policy and opens it', async () => {
    await open('/policies/new');
    expect(Array.from(el().querySelectorAll('h1')).map((h) => h.textContent?.trim())).toEqual(['New policy']);
    // An example document is there to start from; versions and the report belong to saved policies.
    expect(JSON.parse(rules().value)).toHaveLength(2);
    expect(el().textContent).not.toContain('Shadow report');
    typeInto(fieldIn(el(), 'Name'), 'new-guard');
    typeInto(rules(), '[{"then": {"action": "log"}}]');
    Array.from(el().querySelectorAll<HTMLButtonElement>('mat-button-toggle button'))
      .find((b) => b.textContent?.includes('Shadow'))
      ?.click();
    await settle();
    buttonIn(el(), 'Create policy').click();
    await settle();
    const req = http.expectOne({ method: 'POST', url: '/api/v1/policies' });
    expect(req.request.body).toEqual({ name: 'new-guard', mode: 'shadow', phase: 'pre', rules: [{ then: { action: 'log' } }] });
    req.flush({ id: ID, name: 'new-guard', message: 'Policy created' }, { status: 201, statusText: 'Created' });
    await settle();
    expect(TestBed.inject(Router).url).toBe(`/policies/${ID}`);
    await flushExisting();
  });

  it('shows the gateway’s 422 problems at their line in the rules, and moves the caret there', async () => {
    await open('/policies/new');
    typeInto(fieldIn(el(), 'Name'), 'bad');
    typeInto(
      rules(),
      '[\n  {\n    "when": { "field": "request.method", "op": "not_in", "value": ["GET"] },\n    "then": { "action": "rate_limit", "window": "soon" }\n  }\n]',
    );
    buttonIn(el(), 'Create policy').click();
    await settle();
    const { body, init } = envelope('validation_error', 'policy has 3 problems', 422, {
      errors: [
        { path: '$.rules[0].when.op', message: "unknown operator 'not_in'" },
        { path: '$.rules[0].then.window', message: "expected duration like '60s', '5m', '1h', '1d'" },
        { path: '$.rules[0].then.max_requests', message: 'max_requests is required' },
      ],
    });
    http.expectOne('/api/v1/policies').flush(body, init);
    await settle();

    expect(el().querySelector('[data-testid="validation-summary"]')?.textContent).toContain('policy has 3 problems');
    const items = Array.from(el().querySelectorAll('[data-testid="rules-problems"] li')).map((li) =>
      li.textContent?.replace(/\s+/g, ' ').trim(),
    );
    expect(items).toEqual([
      "Line 3 $.rules[0].when.op: unknown operator 'not_in'",
      "Line 4 $.rules[0].then.window: expected duration like '60s', '5m', '1h', '1d'",
      // Missing: shown at the action that lacks it.
      'Line 4 $.rules[0].then.max_requests: max_requests is required',
    ]);
    expect(rules().getAttribute('aria-invalid')).toBe('true');
    buttonIn(el(), 'Line 3: go to $.rules[0].when.op').click();
    await settle();
    expect(document.activeElement).toBe(rules());
    expect(rules().value.slice(rules().selectionStart, rules().selectionEnd)).toContain('"op": "not_in"');
    expect(TestBed.inject(Router).url).toBe('/policies/new');
  });

  it('refuses JSON that does not parse, saying where, without calling the gateway', async () => {
    await open('/policies/new');
    typeInto(fieldIn(el(), 'Name'), 'broken');
    typeInto(rules(), '[\n  {"then": {"action": "log"},}\n]');
    buttonIn(el(), 'Create policy').click();
    await settle();
    expect(el().querySelector('[data-testid="rules-problems"]')?.textContent).toContain("Invalid JSON: expected a quoted key, found '}'");
    expect(buttonIn(el(), 'Line 2, column 30')).toBeTruthy();
  });

  it('validates without saving and reports a valid document', async () => {
    await open('/policies/new');
    typeInto(fieldIn(el(), 'Name'), 'checked');
    buttonIn(el(), 'Validate').click();
    await settle();
    http.expectOne({ method: 'POST', url: '/api/v1/policies/validate' }).flush({ valid: true });
    await settle();
    expect(el().querySelector('[data-testid="valid-message"]')?.textContent).toContain('The policy is valid.');
  });

  it('edits a policy: switches its mode, saves a new version and compares versions', async () => {
    await open(`/policies/${ID}`);
    await flushExisting();
    expect(el().querySelector('h1')?.textContent?.trim()).toBe('guard');
    expect(el().querySelector('[data-testid="policy-mode"]')?.textContent).toContain('shadow · version 2');
    expect(JSON.parse(rules().value)).toEqual(POLICY.rules);
    const diff = el().querySelector('[data-testid="version-diff"]')?.textContent ?? '';
    expect(diff).toContain('-  "mode": "enforce",');
    expect(diff).toContain('+  "mode": "shadow",');
    expect(el().textContent).toContain('2 changed lines');

    Array.from(el().querySelectorAll<HTMLButtonElement>('mat-button-toggle button'))
      .find((b) => b.textContent?.includes('Enforce'))
      ?.click();
    await settle();
    buttonIn(el(), 'Save changes').click();
    await settle();
    const req = http.expectOne({ method: 'PATCH', url: `/api/v1/policies/${ID}` });
    expect(req.request.body).toMatchObject({ name: 'guard', mode: 'enforce', phase: 'pre', rules: POLICY.rules });
    req.flush({ id: ID, name: 'guard', message: 'Policy updated' });
    await settle();
    http.expectOne(`/api/v1/policies/${ID}`).flush({ ...POLICY, mode: 'enforce', version: 3 });
    http.expectOne(`/api/v1/policies/${ID}/versions`).flush(VERSIONS);
    await settle();
    expect(el().querySelector('[data-testid="policy-mode"]')?.textContent).toContain('enforce · version 3');
  });

  it('draws the shadow report as an SVG bar chart with a table of the same numbers, and reloads it for a range', async () => {
    await open(`/policies/${ID}`);
    await flushExisting();
    expect(el().querySelector('[data-testid="shadow-summary"]')?.textContent?.replace(/\s+/g, ' ')).toContain(
      '40 requests evaluated this policy; rules fired on 12 of them.',
    );
    const svg = el().querySelector('svg[data-testid="shadow-chart"]');
    expect(svg?.getAttribute('role')).toBe('img');
    expect(svg?.querySelector('desc')?.textContent).toBe(
      'Rule 0: fired on 12 requests, would have blocked 12. Rule 2: fired on 6 requests, would have blocked 1.',
    );
    const widths = (cls: string) => Array.from(svg?.querySelectorAll(`rect.${cls}`) ?? []).map((r) => Number(r.getAttribute('width')));
    expect(widths('fired')).toEqual([380, 190]);
    const blocked = widths('blocked');
    expect(blocked[0]).toBe(380);
    expect(blocked[1]).toBeCloseTo(380 / 12, 6);
    const cells = Array.from(el().querySelectorAll('[data-testid="shadow-table"] tbody tr')).map((tr) =>
      Array.from(tr.querySelectorAll('td')).map((td) => td.textContent?.trim()),
    );
    expect(cells).toEqual([
      ['#0', 'deny', '12', '12'],
      ['#2', 'rate_limit', '6', '1'],
    ]);

    typeInto(fieldIn(el(), 'From'), '2026-03-01T00:00');
    typeInto(fieldIn(el(), 'To'), '2026-03-03T00:00');
    buttonIn(el(), 'Show report').click();
    await settle();
    const req = http.expectOne((r) => r.url === `/api/v1/policies/${ID}/shadow-report`);
    expect(req.request.params.get('from')).toBe(new Date('2026-03-01T00:00').toISOString());
    expect(req.request.params.get('to')).toBe(new Date('2026-03-03T00:00').toISOString());
    req.flush({ ...REPORT, by_rule: [] });
    await settle();
    expect(el().querySelector('[data-testid="shadow-empty"]')).not.toBeNull();
  });

  it('deletes a policy after confirmation and goes back to the list', async () => {
    await open(`/policies/${ID}`);
    await flushExisting();
    buttonIn(el(), 'Delete policy').click();
    await settle();
    buttonIn(lastDialog(), 'Delete policy').click();
    await settle();
    http.expectOne({ method: 'DELETE', url: `/api/v1/policies/${ID}` }).flush({ id: ID, deleted: true });
    await settle();
    expect(TestBed.inject(Router).url).toBe('/policies');
  });
});

describe('PoliciesPage', () => {
  it('lists policies with their mode, phase, rule count and version, linking to the editor', async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders([{ path: 'policies/:id', component: ListStub }]) });
    const http = TestBed.inject(HttpTestingController);
    await signInForTest();
    const fixture = TestBed.createComponent(PoliciesPage);
    fixture.autoDetectChanges();
    await settle();
    http.expectOne('/api/v1/policies').flush([POLICY, { ...POLICY, id: 'x', name: 'audit-tags', mode: 'enforce', rules: [], version: 1 }]);
    await settle();
    const el = fixture.nativeElement as HTMLElement;
    const rows = Array.from(el.querySelectorAll('tr[mat-row]')).map((tr) =>
      Array.from(tr.querySelectorAll('td'))
        .slice(0, 5)
        .map((td) => td.textContent?.trim()),
    );
    expect(rows).toEqual([
      ['audit-tags', 'enforce', 'pre', '0', '1'],
      ['guard', 'shadow', 'pre', '1', '2'],
    ]);
    expect(el.querySelector('a[href="/policies/new"]')?.textContent?.trim()).toBe('New policy');
    expect(el.querySelector(`a[href="/policies/${ID}"]`)?.textContent).toBe('guard');
    http.verify();
  });
});
