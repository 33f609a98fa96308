import { provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { AuditDetail, AuditSummary, CredentialMeta, Service, Token } from '@ailink/shared-contracts';
import { Observable, Subject, firstValueFrom, toArray } from 'rxjs';
import { ApiClient } from './api-client';
import { ApiError } from './api-error';
import { apiInterceptor } from './api.interceptor';
import { SseClient } from './sse-client';
import type { SseMessage } from './sse-parser';

const CRED: CredentialMeta = {
  id: '7b0f7f8e-8a4b-4c2d-9e6f-0a1b2c3d4e5f',
  name: 'openai-prod',
  provider: 'openai',
  version: 1,
  is_active: true,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  injection_mode: 'bearer',
  injection_header: 'Authorization',
  rotation_enabled: false,
  rotation_interval_secs: null,
  last_rotated_at: null,
};

const TOKEN = {
  id: 'tok_0123456789abcdef01234567',
  masked: 'ailink_v1_…abcd',
  name: 'agent',
} as Token;

const SERVICE = { id: 's1', name: 'crm', base_url: 'https://crm.example.com' } as Service;
const RECORD = { id: 'a1', method: 'POST', path: '/v1/chat/completions' } as AuditSummary;

function envelope(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, type: 'invalid_request_error', request_id: 'req_1', ...(details ? { details } : {}) } };
}

describe('ApiClient (tokens, credentials, services, audit)', () => {
  let api: ApiClient;
  let http: HttpTestingController;
  const stream = new Subject<SseMessage>();
  const open = jest.fn<Observable<SseMessage>, [string, unknown]>(() => stream);

  beforeEach(() => {
    open.mockClear();
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        provideHttpClient(withInterceptors([apiInterceptor])),
        provideHttpClientTesting(),
        { provide: SseClient, useValue: { open } },
      ],
    });
    api = TestBed.inject(ApiClient);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  describe('credentials', () => {
    it('credentials() GETs the bare array', async () => {
      const result = firstValueFrom(api.credentials());
      const req = http.expectOne('/api/v1/credentials');
      expect(req.request.method).toBe('GET');
      req.flush([CRED]);
      await expect(result).resolves.toEqual([CRED]);
    });

    it('credential(id) GETs one', async () => {
      const result = firstValueFrom(api.credential(CRED.id));
      const req = http.expectOne(`/api/v1/credentials/${CRED.id}`);
      expect(req.request.method).toBe('GET');
      req.flush(CRED);
      await expect(result).resolves.toEqual(CRED);
    });

    it('createCredential() POSTs the body, secret included', async () => {
      const body = { name: 'openai-prod', provider: 'openai', secret: 'sk-live-123' };
      const result = firstValueFrom(api.createCredential(body));
      const req = http.expectOne('/api/v1/credentials');
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual(body);
      req.flush({ id: CRED.id, name: 'openai-prod', message: 'Credential encrypted and stored' }, { status: 201, statusText: 'Created' });
      await expect(result).resolves.toEqual({ id: CRED.id, name: 'openai-prod', message: 'Credential encrypted and stored' });
    });

    it('createCredential() maps a 409 to an ApiError with the envelope message', async () => {
      const result = firstValueFrom(api.createCredential({ name: 'x', provider: 'openai', secret: 's' }));
      http
        .expectOne('/api/v1/credentials')
        .flush(envelope('conflict', 'A credential named x already exists'), { status: 409, statusText: 'Conflict' });
      await expect(result).rejects.toMatchObject({ status: 409, code: 'conflict', message: 'A credential named x already exists' });
    });

    it('updateCredential() PATCHes', async () => {
      const result = firstValueFrom(api.updateCredential(CRED.id, { name: 'renamed' }));
      const req = http.expectOne(`/api/v1/credentials/${CRED.id}`);
      expect(req.request.method).toBe('PATCH');
      expect(req.request.body).toEqual({ name: 'renamed' });
      req.flush({ ...CRED, name: 'renamed' });
      await expect(result).resolves.toMatchObject({ name: 'renamed' });
    });

    it('deleteCredential() DELETEs', async () => {
      const result = firstValueFrom(api.deleteCredential(CRED.id));
      const req = http.expectOne(`/api/v1/credentials/${CRED.id}`);
      expect(req.request.method).toBe('DELETE');
      req.flush({ id: CRED.id, deleted: true });
      await expect(result).resolves.toEqual({ id: CRED.id, deleted: true });
    });

    it('rotateCredential() POSTs a new secret, or an empty body to re-encrypt', async () => {
      const withSecret = firstValueFrom(api.rotateCredential(CRED.id, { secret: 'sk-new' }));
      const first = http.expectOne(`/api/v1/credentials/${CRED.id}/rotate`);
      expect(first.request.method).toBe('POST');
      expect(first.request.body).toEqual({ secret: 'sk-new' });
      first.flush({ id: CRED.id, version: 2, rotated_at: '2026-01-02T00:00:00Z', message: 'Rotated' });
      await expect(withSecret).resolves.toMatchObject({ version: 2 });

      const reencrypt = firstValueFrom(api.rotateCredential(CRED.id));
      const second = http.expectOne(`/api/v1/credentials/${CRED.id}/rotate`);
      expect(second.request.body).toEqual({});
      second.flush({ id: CRED.id, version: 3, rotated_at: '2026-01-03T00:00:00Z', message: 'Rotated' });
      await expect(reencrypt).resolves.toMatchObject({ version: 3 });
    });
  });

  describe('tokens', () => {
    it('tokens() GETs with only the given query parameters', async () => {
      const all = firstValueFrom(api.tokens());
      const plain = http.expectOne((r) => r.url === '/api/v1/tokens');
      expect(plain.request.method).toBe('GET');
      expect(plain.request.params.keys()).toEqual([]);
      plain.flush([TOKEN]);
      await expect(all).resolves.toEqual([TOKEN]);

      const inactive = firstValueFrom(api.tokens({ include_inactive: true, team_id: undefined }));
      const req = http.expectOne('/api/v1/tokens?include_inactive=true');
      req.flush([]);
      await expect(inactive).resolves.toEqual([]);
    });

    it('token(id) GETs one, encoding the id', async () => {
      const result = firstValueFrom(api.token('tok_a/b'));
      http.expectOne('/api/v1/tokens/tok_a%2Fb').flush(TOKEN);
      await expect(result).resolves.toEqual(TOKEN);
    });

    it('createToken() POSTs and returns the one-time secret', async () => {
      const body = { name: 'agent', upstream_url: 'https://api.openai.com', log_level_name: 'redacted' as const };
      const result = firstValueFrom(api.createToken(body));
      const req = http.expectOne('/api/v1/tokens');
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual(body);
      const created = { token_id: 'ailink_v1_00000000_tok_x', id: TOKEN.id, masked: TOKEN.masked, name: 'agent', message: 'Use: …' };
      req.flush(created, { status: 201, statusText: 'Created' });
      await expect(result).resolves.toEqual(created);
    });

    it('updateToken() PATCHes', async () => {
      const result = firstValueFrom(api.updateToken(TOKEN.id, { suspended: true }));
      const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}`);
      expect(req.request.method).toBe('PATCH');
      expect(req.request.body).toEqual({ suspended: true });
      req.flush(TOKEN);
      await expect(result).resolves.toEqual(TOKEN);
    });

    it('revokeToken() DELETEs and completes on 204', async () => {
      const result = firstValueFrom(api.revokeToken(TOKEN.id));
      const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}`);
      expect(req.request.method).toBe('DELETE');
      req.flush(null, { status: 204, statusText: 'No Content' });
      await expect(result).resolves.toBeUndefined();
    });

    it('circuitBreaker() GETs and updateCircuitBreaker() PATCHes', async () => {
      const cb = { enabled: true, failure_threshold: 3, recovery_cooldown_secs: 30, half_open_max_requests: 1 };
      const read = firstValueFrom(api.circuitBreaker(TOKEN.id));
      http.expectOne(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`).flush(cb);
      await expect(read).resolves.toEqual(cb);

      const write = firstValueFrom(api.updateCircuitBreaker(TOKEN.id, { failure_threshold: 5 }));
      const req = http.expectOne(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`);
      expect(req.request.method).toBe('PATCH');
      expect(req.request.body).toEqual({ failure_threshold: 5 });
      req.flush({ ...cb, failure_threshold: 5 });
      await expect(write).resolves.toMatchObject({ failure_threshold: 5 });
    });

    it('updateCircuitBreaker() surfaces 422 invalid_config', async () => {
      const write = firstValueFrom(api.updateCircuitBreaker(TOKEN.id, { failure_threshold: 0 }));
      http
        .expectOne(`/api/v1/tokens/${TOKEN.id}/circuit-breaker`)
        .flush(envelope('invalid_config', 'failure_threshold must be ≥ 1'), { status: 422, statusText: 'Unprocessable Entity' });
      const error = await write.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ status: 422, code: 'invalid_config', message: 'failure_threshold must be ≥ 1' });
    });
  });

  describe('services', () => {
    it('services() GETs and service(id) GETs one', async () => {
      const list = firstValueFrom(api.services());
      http.expectOne('/api/v1/services').flush([SERVICE]);
      await expect(list).resolves.toEqual([SERVICE]);
      const one = firstValueFrom(api.service('s1'));
      http.expectOne('/api/v1/services/s1').flush(SERVICE);
      await expect(one).resolves.toEqual(SERVICE);
    });

    it('createService() POSTs; a 422 (SSRF) becomes an ApiError', async () => {
      const ok = firstValueFrom(api.createService({ name: 'crm', base_url: 'https://crm.example.com' }));
      const req = http.expectOne('/api/v1/services');
      expect(req.request.method).toBe('POST');
      expect(req.request.body).toEqual({ name: 'crm', base_url: 'https://crm.example.com' });
      req.flush(SERVICE, { status: 201, statusText: 'Created' });
      await expect(ok).resolves.toEqual(SERVICE);

      const refused = firstValueFrom(api.createService({ name: 'meta', base_url: 'http://169.254.169.254' }));
      http
        .expectOne('/api/v1/services')
        .flush(envelope('validation_error', 'base_url resolves to a blocked address'), { status: 422, statusText: 'Unprocessable Entity' });
      await expect(refused).rejects.toMatchObject({ status: 422, message: 'base_url resolves to a blocked address' });
    });

    it('updateService() PATCHes and deleteService() DELETEs', async () => {
      const upd = firstValueFrom(api.updateService('s1', { description: null }));
      const patch = http.expectOne('/api/v1/services/s1');
      expect(patch.request.method).toBe('PATCH');
      expect(patch.request.body).toEqual({ description: null });
      patch.flush(SERVICE);
      await expect(upd).resolves.toEqual(SERVICE);

      const del = firstValueFrom(api.deleteService('s1'));
      const req = http.expectOne('/api/v1/services/s1');
      expect(req.request.method).toBe('DELETE');
      req.flush({ deleted: true });
      await expect(del).resolves.toEqual({ deleted: true });
    });
  });

  describe('audit', () => {
    it('audit() sends the filters and returns the rows with the X-Next-Cursor header', async () => {
      const page = firstValueFrom(api.audit({ token_id: 'tok_1', status: '5xx', model: '', limit: 50 }));
      const req = http.expectOne((r) => r.url === '/api/v1/audit');
      expect(req.request.method).toBe('GET');
      expect(req.request.params.toString()).toBe('token_id=tok_1&status=5xx&limit=50');
      req.flush([RECORD], { headers: { 'X-Next-Cursor': 'c2' } });
      await expect(page).resolves.toEqual({ items: [RECORD], nextCursor: 'c2' });
    });

    it('audit() reports no next cursor on the last page', async () => {
      const page = firstValueFrom(api.audit({ cursor: 'c2' }));
      http.expectOne('/api/v1/audit?cursor=c2').flush([]);
      await expect(page).resolves.toEqual({ items: [], nextCursor: null });
    });

    it('auditRecord() GETs the detail', async () => {
      const detail = { ...RECORD, request_body: '{"a":1}' } as AuditDetail;
      const result = firstValueFrom(api.auditRecord('a1'));
      http.expectOne('/api/v1/audit/a1').flush(detail);
      await expect(result).resolves.toEqual(detail);
    });

    it('auditStream() opens the SSE endpoint with the filters and yields each audit event’s records', async () => {
      const seen = firstValueFrom(api.auditStream({ token_id: 'tok_1', status: '' }).pipe(toArray()));
      expect(open).toHaveBeenCalledTimes(1);
      const [path, params] = open.mock.calls[0] as [string, { toString(): string }];
      expect(path).toBe('/api/v1/audit/stream');
      expect(params.toString()).toBe('token_id=tok_1');
      stream.next({ event: 'audit', data: JSON.stringify([RECORD]) });
      stream.next({ event: 'other', data: '[]' });
      stream.next({ event: 'audit', data: '{"not":"an array"}' });
      stream.next({ event: 'audit', data: '[{"truncated' });
      stream.next({ event: 'audit', data: '[]' });
      stream.complete();
      await expect(seen).resolves.toEqual([[RECORD], []]);
    });
  });
});
