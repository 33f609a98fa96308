import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { ProjectSummary, ReadinessResponse, WhoAmIResponse } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { ApiClient } from './api-client';
import { ApiError } from './api-error';
import { apiInterceptor } from './api.interceptor';

const WHOAMI: WhoAmIResponse = {
  org_id: '00000000-0000-0000-0000-000000000001',
  user_id: null,
  role: 'SuperAdmin',
  scopes: ['*'],
  auth_method: 'admin_key',
};

describe('ApiClient', () => {
  let api: ApiClient;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(withInterceptors([apiInterceptor])), provideHttpClientTesting()],
    });
    api = TestBed.inject(ApiClient);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('readiness() returns the 200 body', async () => {
    const result = firstValueFrom(api.readiness());
    const req = http.expectOne('/readyz');
    expect(req.request.method).toBe('GET');
    req.flush({ status: 'ok', version: '1.2.3', mode: 'embedded' });
    await expect(result).resolves.toEqual({ status: 'ok', version: '1.2.3', mode: 'embedded' });
  });

  it('readiness() surfaces a 503 body as data, not as an error', async () => {
    const body: ReadinessResponse = {
      status: 'unavailable',
      postgres: true,
      redis: false,
      version: '1.2.3',
      mode: 'external',
    };
    const result = firstValueFrom(api.readiness());
    http.expectOne('/readyz').flush(body, { status: 503, statusText: 'Service Unavailable' });
    await expect(result).resolves.toEqual(body);
  });

  it('readiness() fails with an ApiError for other failures', async () => {
    const result = firstValueFrom(api.readiness());
    http.expectOne('/readyz').flush('oops', { status: 500, statusText: 'Internal Server Error' });
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500, code: 'http_500' });
  });

  it('readiness() does not treat a 503 without a readiness body as data', async () => {
    const result = firstValueFrom(api.readiness());
    http.expectOne('/readyz').flush('busy', { status: 503, statusText: 'Service Unavailable' });
    await expect(result).rejects.toMatchObject({ status: 503, code: 'http_503' });
  });

  it('whoami() calls GET /api/v1/auth/whoami', async () => {
    const result = firstValueFrom(api.whoami());
    const req = http.expectOne('/api/v1/auth/whoami');
    expect(req.request.method).toBe('GET');
    expect(req.request.headers.has('X-Admin-Key')).toBe(false);
    req.flush(WHOAMI);
    await expect(result).resolves.toEqual(WHOAMI);
  });

  it('whoami(key) sends the candidate key explicitly', async () => {
    const result = firstValueFrom(api.whoami('candidate-key'));
    const req = http.expectOne('/api/v1/auth/whoami');
    expect(req.request.headers.get('X-Admin-Key')).toBe('candidate-key');
    req.flush(WHOAMI);
    await expect(result).resolves.toEqual(WHOAMI);
  });

  it('projects() returns the bare array', async () => {
    const projects: ProjectSummary[] = [
      { id: '00000000-0000-0000-0000-000000000001', name: 'default', org_id: WHOAMI.org_id, created_at: '2025-01-01T00:00:00Z' },
    ];
    const result = firstValueFrom(api.projects());
    const req = http.expectOne('/api/v1/projects');
    expect(req.request.method).toBe('GET');
    req.flush(projects);
    await expect(result).resolves.toEqual(projects);
  });

  it('projects() maps the error envelope to an ApiError', async () => {
    const result = firstValueFrom(api.projects());
    http
      .expectOne('/api/v1/projects')
      .flush(
        { error: { code: 'forbidden', message: 'Scope projects:read required', type: 'permission_error', request_id: 'req_9' } },
        { status: 403, statusText: 'Forbidden' },
      );
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: 'forbidden', message: 'Scope projects:read required', requestId: 'req_9' });
  });
});
