import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { AdminAuditEntry } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { AdminAuditClient } from './admin-audit-client';
import { ApiError } from './api-error';
import { apiInterceptor } from './api.interceptor';

const ENTRY: AdminAuditEntry = {
  id: '5a5a5a5a-5a5a-4a5a-8a5a-5a5a5a5a5a5a',
  org_id: '00000000-0000-0000-0000-000000000001',
  actor: 'admin_key',
  auth_method: 'admin_key',
  method: 'PATCH',
  path: '/api/v1/tokens/tok_0123456789abcdef01234567',
  resource_kind: 'token',
  resource_id: 'tok_0123456789abcdef01234567',
  status: 200,
  request_id: 'req_0123',
  created_at: '2026-01-05T10:00:00.000Z',
  before: { name: 'a' },
  after: { name: 'b' },
  project_id: '00000000-0000-0000-0000-000000000001',
  route: '/api/v1/tokens/:id',
};

describe('AdminAuditClient', () => {
  let client: AdminAuditClient;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(withInterceptors([apiInterceptor])), provideHttpClientTesting()],
    });
    client = TestBed.inject(AdminAuditClient);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('lists a page with the set filters only, and reads the next cursor from X-Next-Cursor', async () => {
    const page = firstValueFrom(client.list({ actor: 'admin_key', resource_kind: '', method: 'PATCH', limit: 50, cursor: undefined }));
    const req = http.expectOne((r) => r.url === '/api/v1/audit/admin');
    expect(req.request.params.toString()).toBe('actor=admin_key&method=PATCH&limit=50');
    req.flush([ENTRY], { headers: { 'X-Next-Cursor': 'c2' } });
    expect(await page).toEqual({ items: [ENTRY], nextCursor: 'c2' });

    const last = firstValueFrom(client.list());
    http.expectOne('/api/v1/audit/admin').flush([]);
    expect(await last).toEqual({ items: [], nextCursor: null });
  });

  it('reads one entry by id, and surfaces a 404 as an ApiError', async () => {
    const one = firstValueFrom(client.entry(ENTRY.id));
    http.expectOne(`/api/v1/audit/admin/${ENTRY.id}`).flush(ENTRY);
    expect(await one).toEqual(ENTRY);

    const missing = firstValueFrom(client.entry('x/y'));
    http
      .expectOne('/api/v1/audit/admin/x%2Fy')
      .flush(
        { error: { code: 'not_found', message: 'Admin audit entry not found', type: 'invalid_request_error', request_id: 'req_1' } },
        { status: 404, statusText: 'Not Found' },
      );
    await expect(missing).rejects.toBeInstanceOf(ApiError);
  });
});
