import { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MatDialog } from '@angular/material/dialog';
import { Router } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import type { ProjectSummary } from '@ailink/shared-contracts';
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
import { SessionsPage } from './sessions-page';
import { SESSION } from './spend-testing';

const PROJECTS: ProjectSummary[] = [
  {
    id: '00000000-0000-0000-0000-000000000001',
    name: 'Default',
    org_id: '00000000-0000-0000-0000-000000000001',
    created_at: '2026-01-01T00:00:00Z',
  },
  {
    id: '99999999-9999-4999-8999-999999999999',
    name: 'Research',
    org_id: '00000000-0000-0000-0000-000000000001',
    created_at: '2026-01-02T00:00:00Z',
  },
];

describe('SessionsPage', () => {
  let http: HttpTestingController;
  let harness: RouterTestingHarness;

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: pageTestProviders([{ path: 'spend/sessions', component: SessionsPage }]) });
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

  function text(node: Element | null | undefined): string {
    return node?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
  }

  function facts(): Record<string, string> {
    const out: Record<string, string> = {};
    el()
      .querySelectorAll('[data-testid="session-facts"] dt')
      .forEach((dt) => (out[text(dt)] = text(dt.nextElementSibling)));
    return out;
  }

  async function open(url: string): Promise<void> {
    await harness.navigateByUrl(url);
    await settle();
    http.expectOne('/api/v1/projects').flush(PROJECTS);
    await settle();
  }

  async function openSession(session = SESSION): Promise<void> {
    await open(`/spend/sessions?id=${session.session_id}`);
    const req = http.expectOne(`/api/v1/sessions/${session.session_id}/entity`);
    expect(req.request.params.keys()).toEqual([]);
    req.flush(session);
    await settle();
  }

  it('looks a session up by id and project, keeping both in the URL', async () => {
    await open('/spend/sessions');
    expect(Array.from(el().querySelectorAll('h1')).map((h) => text(h))).toEqual(['Sessions']);
    expect(el().querySelector('[data-testid="session"]')).toBeNull();
    buttonIn(el(), 'Look up').click();
    await settle();
    expect(Array.from(el().querySelectorAll('mat-error')).map((e) => text(e))).toEqual(['Enter a session id.']);

    typeInto(fieldIn(el(), 'Session id'), ' run/7 ');
    await chooseOption(el(), 'Project', 'Research');
    buttonIn(el(), 'Look up').click();
    await settle();
    expect(TestBed.inject(Router).url).toBe(`/spend/sessions?id=run%2F7&project_id=${PROJECTS[1].id}`);
    const req = http.expectOne((r) => r.url === '/api/v1/sessions/run%2F7/entity');
    expect(req.request.params.get('project_id')).toBe(PROJECTS[1].id);
    req.flush({ ...SESSION, session_id: 'run/7', project_id: PROJECTS[1].id });
    await settle();
    expect(text(el().querySelector('[data-testid="session"] h2'))).toBe('Session run/7');
    expect(facts()['Project']).toBe('Research');
  });

  it('shows a session’s totals, token and metadata', async () => {
    await openSession();
    expect(text(el().querySelector('[data-testid="session-status"]'))).toBe('Active');
    expect(facts()).toMatchObject({
      Project: 'Default',
      Token: SESSION.token_id,
      Requests: '3',
      Tokens: '1800',
      Cost: '$0.0125',
      'Spend cap': 'No cap',
    });
    expect(facts()['Metadata']).toContain('"agent": "support-bot"');
    expect(el().querySelector('[data-testid="session-facts"] a')?.getAttribute('href')).toBe(`/tokens/${SESSION.token_id}`);
    expect((fieldIn(el(), 'Session id') as HTMLInputElement).value).toBe('run-42');
  });

  it('says so when no session has that id', async () => {
    await open('/spend/sessions?id=nope');
    const { body, init } = envelope('not_found', 'Session not found', 404);
    http.expectOne('/api/v1/sessions/nope/entity').flush(body, init);
    await settle();
    expect(text(el().querySelector('[data-testid="session-not-found"]'))).toBe(
      'No session “nope” in Default. A session is created by the first request that carries its id.',
    );
  });

  it('pauses and resumes a session', async () => {
    await openSession();
    buttonIn(el(), 'Pause session').click();
    await settle();
    const pause = http.expectOne('/api/v1/sessions/run-42/status');
    expect(pause.request.method).toBe('PATCH');
    expect(pause.request.body).toEqual({ status: 'paused' });
    pause.flush({ ...SESSION, status: 'paused' });
    await settle();
    expect(text(el().querySelector('[data-testid="session-status"]'))).toBe('Paused');
    expect(document.body.textContent).toContain('Session “run-42” paused.');

    buttonIn(el(), 'Resume session').click();
    await settle();
    const resume = http.expectOne('/api/v1/sessions/run-42/status');
    expect(resume.request.body).toEqual({ status: 'active' });
    resume.flush(SESSION);
    await settle();
    expect(text(el().querySelector('[data-testid="session-status"]'))).toBe('Active');
  });

  it('completes a session only after confirmation, then offers no more changes', async () => {
    await openSession();
    buttonIn(el(), 'Complete session').click();
    await settle();
    expect(text(lastDialog().querySelector('h2'))).toBe('Complete session “run-42”?');
    buttonIn(lastDialog(), 'Cancel').click();
    await settle();
    http.expectNone('/api/v1/sessions/run-42/status');

    buttonIn(el(), 'Complete session').click();
    await settle();
    buttonIn(lastDialog(), 'Complete session').click();
    await settle();
    expect(openDialogs()).toHaveLength(0);
    const req = http.expectOne('/api/v1/sessions/run-42/status');
    expect(req.request.body).toEqual({ status: 'completed' });
    req.flush({ ...SESSION, status: 'completed', completed_at: '2026-01-05T11:00:00.000Z' });
    await settle();
    expect(text(el().querySelector('[data-testid="session-status"]'))).toBe('Completed');
    expect(facts()['Completed']).not.toBe('');
    expect(Array.from(el().querySelectorAll('button')).map((b) => text(b))).toEqual(['Look up']);
  });

  it('shows a refused transition inline', async () => {
    await openSession({ ...SESSION, status: 'paused' });
    buttonIn(el(), 'Resume session').click();
    await settle();
    const { body, init } = envelope('validation_error', 'Session is completed', 422);
    http.expectOne('/api/v1/sessions/run-42/status').flush(body, init);
    await settle();
    expect(text(el().querySelector('[data-testid="action-error"]'))).toBe('The action failed: Session is completed');
  });

  it('sets and removes the session spend cap', async () => {
    await openSession();
    typeInto(fieldIn(el(), 'Session cap (USD)'), '2.5');
    await settle();
    buttonIn(el(), 'Save session cap').click();
    await settle();
    const set = http.expectOne('/api/v1/sessions/run-42/spend-cap');
    expect(set.request.method).toBe('PUT');
    expect(set.request.body).toEqual({ spend_cap_usd: '2.5' });
    set.flush({ ...SESSION, spend_cap_usd: '2.500000' });
    await settle();
    expect(facts()['Spend cap']).toBe('$2.50');
    expect((fieldIn(el(), 'Session cap (USD)') as HTMLInputElement).value).toBe('2.5');
    expect(document.body.textContent).toContain('Session spend cap set to $2.50.');

    buttonIn(el(), 'Remove session cap').click();
    await settle();
    const remove = http.expectOne('/api/v1/sessions/run-42/spend-cap');
    expect(remove.request.body).toEqual({ spend_cap_usd: null });
    remove.flush(SESSION);
    await settle();
    expect(facts()['Spend cap']).toBe('No cap');
    expect(Array.from(el().querySelectorAll('button')).some((b) => text(b) === 'Remove session cap')).toBe(false);
  });

  it('checks the cap before sending it', async () => {
    await openSession();
    typeInto(fieldIn(el(), 'Session cap (USD)'), 'ten');
    await settle();
    buttonIn(el(), 'Save session cap').click();
    await settle();
    expect(Array.from(el().querySelectorAll('mat-error')).map((e) => text(e))).toEqual([
      'Enter an amount like 5 or 12.50 (up to 6 decimals).',
    ]);
    http.expectNone('/api/v1/sessions/run-42/spend-cap');
  });
});
