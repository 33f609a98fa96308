import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { ApprovalsClient, type ApprovalStreamEvent } from '@ailink/portal-data-access';
import type { Approval } from '@ailink/shared-contracts';
import { Observable, Subscriber } from 'rxjs';
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
import { ApprovalsPage } from './approvals-page';

const FUTURE = new Date(Date.now() + 3_600_000).toISOString();

function approval(overrides: Partial<Approval> = {}): Approval {
  return {
    id: 'a1',
    token_id: 'tok_0123456789abcdef01234567',
    project_id: '00000000-0000-0000-0000-000000000001',
    idempotency_key: 'sha256:' + 'a'.repeat(64),
    policy_id: '11111111-1111-4111-8111-111111111111',
    policy_version: 2,
    mode: 'wait',
    request_method: 'POST',
    request_path: '/v1/chat/completions',
    body_digest: 'b'.repeat(64),
    request_summary: {
      method: 'POST',
      path: '/v1/chat/completions',
      agent: 'support-bot',
      upstream: 'https://api.openai.com/v1',
      model: 'gpt-4o',
      body_preview: '{"model":"gpt-4o","messages":[{"role":"user","content":"refund order 42"}]}',
    },
    status: 'pending',
    reviewed_by: null,
    decision_channel: null,
    decision_comment: null,
    reviewed_at: null,
    expires_at: FUTURE,
    approved_until: null,
    consumed_at: null,
    fallback: 'deny',
    routing_choices: null,
    created_at: '2026-01-05T10:00:00Z',
    ...overrides,
  };
}

const A = approval();
const B = approval({
  id: 'a2',
  created_at: '2026-01-05T09:00:00Z',
  request_summary: { ...A.request_summary, agent: null, body_preview: null },
});

describe('ApprovalsPage', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<ApprovalsPage>;
  let stream: Subscriber<ApprovalStreamEvent> | null;
  let streamClosed: boolean;

  beforeEach(async () => {
    jest.useRealTimers();
    TestBed.configureTestingModule({ providers: pageTestProviders() });
    http = TestBed.inject(HttpTestingController);
    await signInForTest();
    stream = null;
    streamClosed = false;
    jest.spyOn(TestBed.inject(ApprovalsClient), 'stream').mockImplementation(
      () =>
        new Observable<ApprovalStreamEvent>((subscriber) => {
          stream = subscriber;
          return () => (streamClosed = true);
        }),
    );
    fixture = TestBed.createComponent(ApprovalsPage);
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
    return Array.from(el().querySelectorAll('tr[mat-row]')).map((tr) => tr.getAttribute('data-testid')?.replace('approval-row-', '') ?? '');
  }

  function expectList(params: string): TestRequest {
    return http.expectOne((r) => r.url === '/api/v1/approvals' && r.params.toString() === params);
  }

  async function firstPage(rows = [A, B]): Promise<void> {
    expectList('status=pending&limit=100').flush(rows);
    await settle();
  }

  function event(type: 'approval_requested' | 'approval_decided', details: Record<string, unknown>): ApprovalStreamEvent {
    return {
      event_type: type,
      event_id: 'e-' + Math.random(),
      timestamp: '2026-01-05T10:00:00Z',
      token_id: A.token_id,
      token_name: 'support',
      project_id: A.project_id,
      details,
    } as ApprovalStreamEvent;
  }

  it('lists pending approvals with one h1, labelled columns and a Review button per row', async () => {
    expect(el().querySelectorAll('h1')).toHaveLength(1);
    expect(el().querySelector('h1')?.textContent).toBe('Approvals');
    await firstPage();
    expect(Array.from(el().querySelectorAll('th')).map((th) => th.textContent?.trim())).toEqual([
      'Requested',
      'Request',
      'Token',
      'Model',
      'Expires',
      'Status',
      'Actions',
    ]);
    expect(ids()).toEqual(['a1', 'a2']);
    expect(buttonIn(el(), 'Review POST /v1/chat/completions by support-bot')).toBeTruthy();
    expect(el().querySelector('[data-testid="pending-count"]')?.textContent).toContain('2 awaiting a decision');
    expect(el().querySelector('[data-testid="live-status"]')?.textContent).toContain('Live');
  });

  it('filters by status', async () => {
    await firstPage();
    await chooseOption(el(), 'Status', 'Rejected');
    expectList('status=rejected&limit=100').flush([]);
    await settle();
    expect(el().querySelector('[data-testid="approvals-empty"]')?.textContent).toContain('No approvals match this filter.');
    await chooseOption(el(), 'Status', 'All');
    expectList('limit=100').flush([A]);
    await settle();
    expect(ids()).toEqual(['a1']);
  });

  it('adds new approvals and applies decisions live, announcing them', async () => {
    await firstPage([B]);
    const C = approval({ id: 'a3', created_at: '2026-01-05T11:00:00Z' });
    stream?.next(event('approval_requested', { approval_id: 'a3', method: 'POST', path: '/v1/chat/completions', agent: 'support-bot' }));
    await settle();
    http.expectOne('/api/v1/approvals/a3').flush(C);
    await settle();
    expect(ids()).toEqual(['a3', 'a2']);
    expect(el().querySelector('[data-testid="announcement"]')?.textContent).toContain(
      'New approval request: POST /v1/chat/completions by support-bot.',
    );
    // Decided elsewhere: it leaves the pending inbox.
    stream?.next(event('approval_decided', { approval_id: 'a2', decision: 'rejected', decided_by: 'u1', channel: 'api' }));
    await settle();
    http.expectOne('/api/v1/approvals/a2').flush({ ...B, status: 'rejected' });
    await settle();
    expect(ids()).toEqual(['a3']);
    expect(el().querySelector('[data-testid="announcement"]')?.textContent).toContain('An approval was rejected.');
  });

  it('reviews a request with its summary and body preview, and approves it with a comment', async () => {
    await firstPage();
    buttonIn(el(), 'Review POST /v1/chat/completions by support-bot').click();
    await settle();
    const dialog = lastDialog();
    expect(dialog.querySelector('h2')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('POST /v1/chat/completions');
    const facts = Array.from(dialog.querySelectorAll('[data-testid="review-facts"] dt')).map((dt) => dt.textContent?.trim());
    expect(facts).toEqual(['Token', 'Agent', 'Model', 'Upstream', 'Mode', 'Requested', 'Policy version']);
    expect(dialog.querySelector('[data-testid="review-preview"]')?.textContent).toContain('"content": "refund order 42"');
    // Close is focused first: Enter never decides by accident.
    expect(document.activeElement?.textContent?.trim()).toBe('Close');
    typeInto(fieldIn(dialog, 'Comment (optional)'), ' looks fine ');
    await settle();
    buttonIn(dialog, 'Approve').click();
    await settle();
    const decision = http.expectOne('/api/v1/approvals/a1/decision');
    expect(decision.request.method).toBe('POST');
    expect(decision.request.body).toEqual({ decision: 'approved', comment: 'looks fine' });
    decision.flush({ id: 'a1', status: 'approved', updated: true });
    await settle();
    expect(openDialogs()).toHaveLength(0);
    http.expectOne('/api/v1/approvals/a1').flush({ ...A, status: 'approved' });
    await settle();
    expect(ids()).toEqual(['a2']);
    expect(el().querySelector('[data-testid="announcement"]')?.textContent).toContain(
      'Approved: POST /v1/chat/completions by support-bot.',
    );
  });

  it('rejects, says when the approval was already decided, and shows decision errors in the dialog', async () => {
    await firstPage();
    buttonIn(el(), 'Review POST /v1/chat/completions').click();
    await settle();
    const dialog = lastDialog();
    expect(dialog.querySelector('[data-testid="review-no-preview"]')).not.toBeNull();
    buttonIn(dialog, 'Reject').click();
    await settle();
    const { body, init } = envelope('forbidden', 'Scope approvals:write required', 403);
    http.expectOne('/api/v1/approvals/a2/decision').flush(body, init);
    await settle();
    expect(dialog.querySelector('[data-testid="decision-error"]')?.textContent?.trim()).toBe(
      'Could not record the decision: Scope approvals:write required',
    );
    buttonIn(dialog, 'Reject').click();
    await settle();
    const retry = http.expectOne('/api/v1/approvals/a2/decision');
    expect(retry.request.body).toEqual({ decision: 'rejected' });
    retry.flush({ id: 'a2', status: 'approved', updated: false });
    await settle();
    http.expectOne('/api/v1/approvals/a2').flush({ ...B, status: 'approved' });
    await settle();
    expect(el().querySelector('[data-testid="announcement"]')?.textContent).toContain('Already approved: POST /v1/chat/completions.');
  });

  it('shows decided approvals without decision buttons', async () => {
    await firstPage([]);
    await chooseOption(el(), 'Status', 'All');
    expectList('limit=100').flush([
      approval({
        status: 'rejected',
        reviewed_by: 'admin_key',
        reviewed_at: '2026-01-05T10:05:00Z',
        decision_channel: 'api',
        decision_comment: 'no',
      }),
    ]);
    await settle();
    buttonIn(el(), 'View POST /v1/chat/completions by support-bot').click();
    await settle();
    const dialog = lastDialog();
    expect(dialog.querySelector('[data-testid="review-status"]')?.textContent).toBe('Rejected');
    expect(Array.from(dialog.querySelectorAll('button')).map((b) => b.textContent?.trim())).toEqual(['Close']);
    expect(dialog.textContent).toContain('no');
  });

  it('reports a failed list, and stops the stream when the page is left', async () => {
    const { body, init } = envelope('forbidden', 'Scope approvals:read required', 403);
    expectList('status=pending&limit=100').flush(body, init);
    await settle();
    expect(el().querySelector('[data-testid="load-error"]')?.textContent?.trim()).toBe(
      'Could not read the approvals: Scope approvals:read required',
    );
    fixture.destroy();
    expect(streamClosed).toBe(true);
  });
});
