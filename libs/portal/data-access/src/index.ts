export { ApiClient, API_BASE, ADMIN_KEY_HEADER, type AuditPage } from './lib/api-client';
export { ApiError, NETWORK_ERROR_CODE, isErrorEnvelope, toApiError, validationProblems } from './lib/api-error';
export { apiInterceptor, isApiUrl } from './lib/api.interceptor';
export { AuthSession } from './lib/auth-session';
export { authGuard, guestGuard, safeReturnUrl, LOGIN_PATH } from './lib/auth.guard';
export { LOADING, toLoadState, type LoadState } from './lib/load-state';
export { provideAilinkApi } from './lib/provide-api';
export { SseClient, SSE_FETCH } from './lib/sse-client';
export { SseParser, type SseMessage } from './lib/sse-parser';
