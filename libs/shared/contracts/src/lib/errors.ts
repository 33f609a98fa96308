/** Error `type` values of the documented error envelope (spec README, "Error envelope"). */
export type ErrorType =
  | 'authentication_error'
  | 'permission_error'
  | 'invalid_request_error'
  | 'rate_limit_error'
  | 'billing_error'
  | 'content_policy_error'
  | 'timeout_error'
  | 'upstream_error'
  | 'configuration_error'
  | 'internal_error';

/** One problem inside a `validation_error`: a JSON path and what is wrong there. */
export interface ValidationProblem {
  path: string;
  message: string;
}

/** The body of every error the gateway itself produces. */
export interface ErrorEnvelope {
  error: {
    code: string;
    message: string;
    type: ErrorType;
    request_id: string;
    details?: Record<string, unknown>;
  };
}
