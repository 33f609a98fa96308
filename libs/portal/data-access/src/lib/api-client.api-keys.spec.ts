import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import type { ApiKey, CreateApiKeyResponse, WhoAmIResponse } from '@ailink/shared-contracts';
import { firstValueFrom } from 'rxjs';
import { credentialHeaders } from './admin-key-header';
import { ApiClient } from './api-client';
import { ApiError } from './api-error';
import { apiInterceptor } from './api.interceptor';
import { AuthSession } from './auth-session';

const API_KEY = 'ak_live_00000000_0123456789abcdef0123456789abcdef';
const KEY: ApiKey = {
  id: '0d1c5c2e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
  org_id: '00000000-0000-0000-0000-000000000001',
  user_id: null,
  team_id: null,
  name: 'ci',
  key_prefix: 'ak_live_00000000_0123',
  role: 'member',
  scopes: ['tokens:read'],
  is_active: true,
  last_used_at: null,
  expires_at: null,
  created_at: '2026-01-01T00:00:00Z',
};
const WHOAMI: WhoAmIResponse = {
  org_id: KEY.org_id,
  user_id: null,
  role: 'Member',
  scopes: ['keys:manage'],
  auth_method: 'api_key',
  key_id: KEY.id,
};

describe('API keys in the data-access layer', () => {
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

  it('sends API keys as a bearer and the admin key as X-Admin-Key', () => {
    expect(credentialHeaders(API_KEY)).toEqual({ Authorization: `Bearer ${API_KEY}` });
    expect(credentialHeaders('the-admin-key')).toEqual({ 'X-Admin-Key': 'the-admin-key' });
  });

  it('signs in with an API key and sends it as Authorization: Bearer on every API call', async () => {
    const session = TestBed.inject(AuthSession);
    const done = firstValueFrom(session.signIn(API_KEY));
    const whoami = http.expectOne('/api/v1/auth/whoami');
    expect(whoami.request.headers.get('Authorization')).toBe(`Bearer ${API_KEY}`);
    expect(whoami.request.headers.has('X-Admin-Key')).toBe(false);
    whoami.flush(WHOAMI);
    await done;

    TestBed.inject(HttpClient).get('/api/v1/tokens').subscribe();
    const req = http.expectOne('/api/v1/tokens');
    expect(req.request.headers.get('Authorization')).toBe(`Bearer ${API_KEY}`);
    expect(req.request.headers.has('X-Admin-Key')).toBe(false);
    req.flush([]);
  });

  it('lists, creates and revokes keys', async () => {
    const listed = firstValueFrom(api.apiKeys());
    http.expectOne({ method: 'GET', url: '/api/v1/auth/keys' }).flush([KEY]);
    expect(await listed).toEqual([KEY]);

    const created: CreateApiKeyResponse = {
      id: KEY.id,
      key: API_KEY,
      message: 'shown once',
      name: 'ci',
      key_prefix: KEY.key_prefix,
      role: 'member',
      scopes: ['tokens:read'],
      expires_at: null,
    };
    const create = firstValueFrom(api.createApiKey({ name: 'ci', role: 'member', scopes: ['tokens:read'] }));
    const post = http.expectOne({ method: 'POST', url: '/api/v1/auth/keys' });
    expect(post.request.body).toEqual({ name: 'ci', role: 'member', scopes: ['tokens:read'] });
    post.flush(created, { status: 201, statusText: 'Created' });
    expect(await create).toEqual(created);

    const revoke = firstValueFrom(api.revokeApiKey(KEY.id));
    http.expectOne({ method: 'DELETE', url: `/api/v1/auth/keys/${KEY.id}` }).flush(null, { status: 204, statusText: 'No Content' });
    await expect(revoke).resolves.toBeUndefined();
  });

  it('surfaces last_admin_key as an ApiError', async () => {
    const revoke = firstValueFrom(api.revokeApiKey(KEY.id));
    http.expectOne(`/api/v1/auth/keys/${KEY.id}`).flush(
      {
        error: {
          code: 'last_admin_key',
          message: 'This is the last active admin key',
          type: 'invalid_request_error',
          request_id: 'req_1',
        },
      },
      { status: 422, statusText: 'Unprocessable Entity' },
    );
    const error = await revoke.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('last_admin_key');
    expect((error as ApiError).status).toBe(422);
  });
});
