import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { firstValueFrom, of, toArray } from 'rxjs';
import { apiInterceptor } from './api.interceptor';
import { ApprovalsClient } from './approvals-client';
import { SseClient } from './sse-client';

describe('ApprovalsClient', () => {
  let client: ApprovalsClient;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(withInterceptors([apiInterceptor])), provideHttpClientTesting()],
    });
    client = TestBed.inject(ApprovalsClient);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('lists with the set filters only, reads one approval and posts decisions (comment trimmed, omitted when blank)', async () => {
    const list = firstValueFrom(client.list({ status: 'pending', token_id: '', limit: 100 }));
    const req = http.expectOne((r) => r.url === '/api/v1/approvals');
    expect(req.request.params.toString()).toBe('status=pending&limit=100');
    req.flush([]);
    expect(await list).toEqual([]);

    const one = firstValueFrom(client.get('a/b'));
    http.expectOne('/api/v1/approvals/a%2Fb').flush({ id: 'a/b' });
    expect(await one).toEqual({ id: 'a/b' });

    const approved = firstValueFrom(client.decide('id1', 'approved', '  ok  '));
    const post = http.expectOne('/api/v1/approvals/id1/decision');
    expect(post.request.body).toEqual({ decision: 'approved', comment: 'ok' });
    post.flush({ id: 'id1', status: 'approved', updated: true });
    expect(await approved).toEqual({ id: 'id1', status: 'approved', updated: true });

    const rejected = firstValueFrom(client.decide('id2', 'rejected', '   '));
    const bare = http.expectOne('/api/v1/approvals/id2/decision');
    expect(bare.request.body).toEqual({ decision: 'rejected' });
    bare.flush({ id: 'id2', status: 'rejected', updated: true });
    await rejected;
  });

  it('streams approval events only, skipping malformed frames', async () => {
    const requested = { event_type: 'approval_requested', project_id: 'p', details: { approval_id: 'x1' } };
    const decided = { event_type: 'approval_decided', project_id: 'p', details: { approval_id: 'x1', decision: 'approved' } };
    const open = jest
      .spyOn(TestBed.inject(SseClient), 'open')
      .mockReturnValue(
        of(
          { event: 'approval_requested', data: JSON.stringify(requested) },
          { event: 'audit', data: '[]' },
          { event: 'approval_decided', data: '{not json' },
          { event: 'approval_decided', data: JSON.stringify({ event_type: 'approval_decided', details: {} }) },
          { event: 'approval_decided', data: JSON.stringify(decided) },
        ),
      );
    expect(await firstValueFrom(client.stream('p1').pipe(toArray()))).toEqual([requested, decided]);
    expect(open.mock.calls[0][0]).toBe('/api/v1/approvals/stream');
    expect(open.mock.calls[0][1]?.toString()).toBe('project_id=p1');
  });
});
