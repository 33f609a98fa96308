import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { PricingRow, SessionEntityResponse, TokenSpendDay, TokenSpendStatus } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { ApiError, validationProblems } from './api-error';
import { apiInterceptor } from './api.interceptor';
import { SpendClient } from './spend-client';

const TOKEN_ID = 'tok_0123456789abcdef01234567';
const PROJECT_ID = '22222222-2222-4222-8222-222222222222';
const STATUS: TokenSpendStatus = {
  daily_limit_usd: 5,
  monthly_limit_usd: null,
  lifetime_limit_usd: null,
  current_daily_usd: 1.25,
  current_monthly_usd: 3.5,
  current_lifetime_usd: 10,
};
const PRICE: PricingRow = {
  id: '0d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
  org_id: '00000000-0000-0000-0000-000000000001',
  provider: 'openai',
  model_pattern: 'gpt-4o*',
  input_per_m: '2.000000',
  output_per_m: '8.000000',
  cached_input_per_m: null,
  max_output_tokens: null,
  is_active: true,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};
const SESSION: SessionEntityResponse = {
  id: '5a5a5a5a-5a5a-4a5a-8a5a-5a5a5a5a5a5a',
  session_id: 'run/42',
  project_id: PROJECT_ID,
  token_id: TOKEN_ID,
  status: 'paused',
  spend_cap_usd: null,
  total_cost_usd: '0.012000',
  total_tokens: 1200,
  total_requests: 3,
  metadata: {},
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  completed_at: null,
};

function validation(path: string, message: string) {
  return {
    body: {
      error: {
        code: 'validation_error',
        message: 'Request validation failed',
        type: 'invalid_request_error',
        request_id: 'req_1',
        details: { errors: [{ path, message }] },
      },
    },
    init: { status: 422, statusText: 'Unprocessable Entity' },
  } as const;
}

describe('SpendClient', () => {
  let client: SpendClient;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideHttpClient(withInterceptors([apiInterceptor])), provideHttpClientTesting()],
    });
    client = TestBed.inject(SpendClient);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('reads a token’s spend status and its daily history (days only when asked)', async () => {
    const status = firstValueFrom(client.tokenSpend(TOKEN_ID));
    const statusReq = http.expectOne(`/api/v1/tokens/${TOKEN_ID}/spend`);
    expect(statusReq.request.method).toBe('GET');
    statusReq.flush(STATUS);
    expect(await status).toEqual(STATUS);

    const days: TokenSpendDay[] = [
      { date: '2026-01-01', spend_usd: 0, requests: 0 },
      { date: '2026-01-02', spend_usd: 0.5, requests: 4 },
    ];
    const history = firstValueFrom(client.tokenSpendHistory(TOKEN_ID, 7));
    const historyReq = http.expectOne((r) => r.url === `/api/v1/tokens/${TOKEN_ID}/spend/history`);
    expect(historyReq.request.params.toString()).toBe('days=7');
    historyReq.flush(days);
    expect(await history).toEqual(days);

    const byDefault = firstValueFrom(client.tokenSpendHistory(TOKEN_ID));
    const defaultReq = http.expectOne((r) => r.url === `/api/v1/tokens/${TOKEN_ID}/spend/history`);
    expect(defaultReq.request.params.keys()).toEqual([]);
    defaultReq.flush([]);
    expect(await byDefault).toEqual([]);
  });

  it('sets a cap with PUT (204) and surfaces the 422 problems of a refused one', async () => {
    const done = firstValueFrom(client.setTokenSpendCap(TOKEN_ID, { period: 'daily', limit_usd: '5.50' }));
    const req = http.expectOne(`/api/v1/tokens/${TOKEN_ID}/spend`);
    expect(req.request.method).toBe('PUT');
    expect(req.request.body).toEqual({ period: 'daily', limit_usd: '5.50' });
    req.flush(null, { status: 204, statusText: 'No Content' });
    expect(await done).toBeUndefined();

    const refused = firstValueFrom(client.setTokenSpendCap(TOKEN_ID, { period: 'monthly', limit_usd: 0 }));
    const { body, init } = validation('$.limit_usd', 'must be greater than 0');
    http.expectOne(`/api/v1/tokens/${TOKEN_ID}/spend`).flush(body, init);
    const error = await refused.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect(validationProblems(error as ApiError)).toEqual([{ path: '$.limit_usd', message: 'must be greater than 0' }]);
  });

  it('removes the cap of one period with DELETE', async () => {
    const done = firstValueFrom(client.removeTokenSpendCap(TOKEN_ID, 'lifetime'));
    const req = http.expectOne(`/api/v1/tokens/${TOKEN_ID}/spend/lifetime`);
    expect(req.request.method).toBe('DELETE');
    req.flush(null, { status: 204, statusText: 'No Content' });
    expect(await done).toBeUndefined();
  });

  it('lists prices (inactive ones only when asked), upserts and deletes an override', async () => {
    const list = firstValueFrom(client.pricing());
    const listReq = http.expectOne((r) => r.url === '/api/v1/pricing' && r.method === 'GET');
    expect(listReq.request.params.keys()).toEqual([]);
    listReq.flush([PRICE]);
    expect(await list).toEqual([PRICE]);

    const all = firstValueFrom(client.pricing({ includeInactive: true }));
    const allReq = http.expectOne((r) => r.url === '/api/v1/pricing' && r.method === 'GET');
    expect(allReq.request.params.toString()).toBe('include_inactive=true');
    allReq.flush([]);
    await all;

    const body = { provider: 'openai', model_pattern: 'gpt-4o*', input_per_m: '2', output_per_m: '8', cached_input_per_m: null };
    const put = firstValueFrom(client.putPrice(body));
    const putReq = http.expectOne('/api/v1/pricing');
    expect(putReq.request.method).toBe('PUT');
    expect(putReq.request.body).toEqual(body);
    putReq.flush({ success: true, id: PRICE.id });
    expect(await put).toEqual({ success: true, id: PRICE.id });

    const removed = firstValueFrom(client.deletePrice(PRICE.id));
    const deleteReq = http.expectOne(`/api/v1/pricing/${PRICE.id}`);
    expect(deleteReq.request.method).toBe('DELETE');
    deleteReq.flush({ id: PRICE.id, deleted: true });
    expect(await removed).toEqual({ id: PRICE.id, deleted: true });
  });

  it('reads a session and changes its status and spend cap, encoding the client-chosen id and passing project_id', async () => {
    const read = firstValueFrom(client.session('run/42', PROJECT_ID));
    const readReq = http.expectOne((r) => r.url === '/api/v1/sessions/run%2F42/entity');
    expect(readReq.request.params.toString()).toBe(`project_id=${PROJECT_ID}`);
    readReq.flush(SESSION);
    expect(await read).toEqual(SESSION);

    const status = firstValueFrom(client.setSessionStatus('run/42', 'active'));
    const statusReq = http.expectOne((r) => r.url === '/api/v1/sessions/run%2F42/status');
    expect(statusReq.request.method).toBe('PATCH');
    expect(statusReq.request.params.keys()).toEqual([]);
    expect(statusReq.request.body).toEqual({ status: 'active' });
    statusReq.flush({ ...SESSION, status: 'active' });
    expect((await status).status).toBe('active');

    const cap = firstValueFrom(client.setSessionSpendCap('run/42', null, PROJECT_ID));
    const capReq = http.expectOne((r) => r.url === '/api/v1/sessions/run%2F42/spend-cap');
    expect(capReq.request.method).toBe('PUT');
    expect(capReq.request.body).toEqual({ spend_cap_usd: null });
    expect(capReq.request.params.get('project_id')).toBe(PROJECT_ID);
    capReq.flush(SESSION);
    await cap;
  });

  it('surfaces an unknown session as a 404 ApiError', async () => {
    const missing = firstValueFrom(client.session('nope'));
    http
      .expectOne('/api/v1/sessions/nope/entity')
      .flush(
        { error: { code: 'not_found', message: 'Session not found', type: 'invalid_request_error', request_id: 'req_2' } },
        { status: 404, statusText: 'Not Found' },
      );
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'not_found', message: 'Session not found' });
  });
});
