import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { Policy, ShadowReport } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { ApiClient } from './api-client';
import { ApiError, validationProblems } from './api-error';
import { apiInterceptor } from './api.interceptor';

const ID = '33333333-3333-4333-8333-333333333333';
const POLICY = { id: ID, name: 'guard', mode: 'enforce', phase: 'pre', rules: [], version: 1 } as unknown as Policy;

describe('ApiClient (policies)', () => {
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

  it('lists, reads, creates, updates, validates and deletes policies on the documented routes', async () => {
    const list = firstValueFrom(api.policies());
    http.expectOne({ method: 'GET', url: '/api/v1/policies' }).flush([POLICY]);
    expect(await list).toEqual([POLICY]);

    const one = firstValueFrom(api.policy(ID));
    http.expectOne({ method: 'GET', url: `/api/v1/policies/${ID}` }).flush(POLICY);
    expect(await one).toEqual(POLICY);

    const body = { name: 'guard', mode: 'shadow' as const, phase: 'pre' as const, rules: [{ then: { action: 'log' as const } }] };
    const created = firstValueFrom(api.createPolicy(body));
    const createReq = http.expectOne({ method: 'POST', url: '/api/v1/policies' });
    expect(createReq.request.body).toEqual(body);
    createReq.flush({ id: ID, name: 'guard', message: 'Policy created' }, { status: 201, statusText: 'Created' });
    expect((await created).id).toBe(ID);

    const updated = firstValueFrom(api.updatePolicy(ID, { mode: 'enforce' }));
    const updateReq = http.expectOne({ method: 'PATCH', url: `/api/v1/policies/${ID}` });
    expect(updateReq.request.body).toEqual({ mode: 'enforce' });
    updateReq.flush({ id: ID, name: 'guard', message: 'Policy updated' });
    expect((await updated).message).toBe('Policy updated');

    const valid = firstValueFrom(api.validatePolicy(body));
    http.expectOne({ method: 'POST', url: '/api/v1/policies/validate' }).flush({ valid: true });
    expect(await valid).toEqual({ valid: true });

    const deleted = firstValueFrom(api.deletePolicy(ID));
    http.expectOne({ method: 'DELETE', url: `/api/v1/policies/${ID}` }).flush({ id: ID, deleted: true });
    expect(await deleted).toEqual({ id: ID, deleted: true });
  });

  it('reads versions and the shadow report with its range', async () => {
    const versions = firstValueFrom(api.policyVersions(ID));
    http.expectOne(`/api/v1/policies/${ID}/versions`).flush([]);
    expect(await versions).toEqual([]);

    const report: ShadowReport = { policy_id: ID, from: 'a', to: 'b', total_requests: 3, would_have_fired: 1, by_rule: [] };
    const ranged = firstValueFrom(api.shadowReport(ID, { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z' }));
    const req = http.expectOne((r) => r.url === `/api/v1/policies/${ID}/shadow-report`);
    expect(req.request.params.get('from')).toBe('2026-01-01T00:00:00.000Z');
    expect(req.request.params.get('to')).toBe('2026-01-02T00:00:00.000Z');
    req.flush(report);
    expect(await ranged).toEqual(report);

    const defaults = firstValueFrom(api.shadowReport(ID));
    http.expectOne(`/api/v1/policies/${ID}/shadow-report`).flush(report);
    expect((await defaults).total_requests).toBe(3);
  });

  it('surfaces a 422 with its problems by JSON path', async () => {
    const failed = firstValueFrom(api.createPolicy({ name: 'x', rules: [] })).catch((e: unknown) => e);
    http.expectOne('/api/v1/policies').flush(
      {
        error: {
          code: 'validation_error',
          type: 'invalid_request_error',
          message: 'policy has 1 problem',
          details: { errors: [{ path: '$.rules[0].when.op', message: "unknown operator 'not_in'" }] },
        },
      },
      { status: 422, statusText: 'Unprocessable Entity' },
    );
    const error = (await failed) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(validationProblems(error)).toEqual([{ path: '$.rules[0].when.op', message: "unknown operator 'not_in'" }]);
  });
});
