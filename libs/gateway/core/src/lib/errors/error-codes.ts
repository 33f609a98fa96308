import type { ErrorType } from '@ailink/shared-contracts';

/** Every error code the gateway produces (spec README: proxy and management error codes). */
export enum ErrorCode {
  // Management API
  BadRequest = 'bad_request',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  RoleEscalation = 'role_escalation',
  NotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  Conflict = 'conflict',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  ValidationError = 'validation_error',
  LastAdminKey = 'last_admin_key',
  InvalidConfig = 'invalid_config',
  UpstreamFailed = 'upstream_failed',
  InternalServerError = 'internal_server_error',
  // Proxy
  TokenNotFound = 'token_not_found',
  TokenSuspended = 'token_suspended',
  PolicyDenied = 'policy_denied',
  ModelAccessDenied = 'model_access_denied',
  ContentBlocked = 'content_blocked',
  ApprovalRejected = 'approval_rejected',
  ApprovalTimeout = 'approval_timeout',
  ApprovalLimitReached = 'approval_limit_reached',
  IdempotencyConflict = 'idempotency_conflict',
  InvalidRequest = 'invalid_request',
  RateLimitExceeded = 'rate_limit_exceeded',
  SpendCapReached = 'spend_cap_reached',
  CredentialMissing = 'credential_missing',
  CircuitOpen = 'circuit_open',
  UpstreamTimeout = 'upstream_timeout',
  AllUpstreamsExhausted = 'all_upstreams_exhausted',
  DependencyUnavailable = 'dependency_unavailable',
}

export interface ErrorMapping {
  status: number;
  type: ErrorType;
}

/** The one place where domain error codes become HTTP statuses and error types. */
export const ERROR_MAP: Readonly<Record<ErrorCode, ErrorMapping>> = {
  [ErrorCode.BadRequest]: { status: 400, type: 'invalid_request_error' },
  [ErrorCode.Unauthorized]: { status: 401, type: 'authentication_error' },
  [ErrorCode.Forbidden]: { status: 403, type: 'permission_error' },
  [ErrorCode.RoleEscalation]: { status: 403, type: 'permission_error' },
  [ErrorCode.NotFound]: { status: 404, type: 'invalid_request_error' },
  [ErrorCode.MethodNotAllowed]: { status: 405, type: 'invalid_request_error' },
  [ErrorCode.Conflict]: { status: 409, type: 'invalid_request_error' },
  [ErrorCode.PayloadTooLarge]: { status: 413, type: 'invalid_request_error' },
  [ErrorCode.UnsupportedMediaType]: { status: 415, type: 'invalid_request_error' },
  [ErrorCode.ValidationError]: { status: 422, type: 'invalid_request_error' },
  [ErrorCode.LastAdminKey]: { status: 422, type: 'invalid_request_error' },
  [ErrorCode.InvalidConfig]: { status: 422, type: 'invalid_request_error' },
  [ErrorCode.UpstreamFailed]: { status: 502, type: 'upstream_error' },
  [ErrorCode.InternalServerError]: { status: 500, type: 'internal_error' },
  [ErrorCode.TokenNotFound]: { status: 401, type: 'authentication_error' },
  [ErrorCode.TokenSuspended]: { status: 403, type: 'permission_error' },
  [ErrorCode.PolicyDenied]: { status: 403, type: 'permission_error' },
  [ErrorCode.ModelAccessDenied]: { status: 403, type: 'permission_error' },
  [ErrorCode.ContentBlocked]: { status: 403, type: 'content_policy_error' },
  [ErrorCode.ApprovalRejected]: { status: 403, type: 'permission_error' },
  [ErrorCode.ApprovalTimeout]: { status: 408, type: 'timeout_error' },
  [ErrorCode.ApprovalLimitReached]: { status: 429, type: 'rate_limit_error' },
  [ErrorCode.IdempotencyConflict]: { status: 409, type: 'invalid_request_error' },
  [ErrorCode.InvalidRequest]: { status: 400, type: 'invalid_request_error' },
  [ErrorCode.RateLimitExceeded]: { status: 429, type: 'rate_limit_error' },
  [ErrorCode.SpendCapReached]: { status: 402, type: 'billing_error' },
  [ErrorCode.CredentialMissing]: { status: 502, type: 'configuration_error' },
  [ErrorCode.CircuitOpen]: { status: 502, type: 'upstream_error' },
  [ErrorCode.UpstreamTimeout]: { status: 504, type: 'upstream_error' },
  [ErrorCode.AllUpstreamsExhausted]: { status: 503, type: 'upstream_error' },
  [ErrorCode.DependencyUnavailable]: { status: 503, type: 'internal_error' },
};
