/**
 * Domain events (approvals-webhooks-anomalies.md §2 "Event envelope"): what the gateway emits, in the
 * shape webhooks deliver. Token ids are always public ids (`tok_…`), never bearer secrets.
 */
export const EVENT_TYPES = [
  'policy_violation',
  'rate_limit_exceeded',
  'spend_cap_exceeded',
  'budget_warning',
  'approval_requested',
  'approval_decided',
  'anomaly_detected',
  'token_created',
  'token_revoked',
  'credential_rotated',
  'circuit_opened',
  'policy_webhook',
  'test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Why a credential was rotated (vault-and-spend.md §3). */
export type CredentialRotationTrigger = 'api' | 'schedule' | 'master_key_rotation';

export interface TokenCreatedDetails {
  token_id: string;
  name: string;
  created_by: string;
}

export interface TokenRevokedDetails {
  token_id: string;
  name: string;
  revoked_by: string;
}

export interface CredentialRotatedDetails {
  credential_id: string;
  name: string;
  version: number;
  trigger: CredentialRotationTrigger;
}

export interface CircuitOpenedDetails {
  /** The normalised target base URL. */
  upstream: string;
  failure_count: number;
  cooldown_secs: number;
}

/** `details` of the event types whose shape is fixed here; the others carry a plain object. */
export interface KnownEventDetails {
  token_created: TokenCreatedDetails;
  token_revoked: TokenRevokedDetails;
  credential_rotated: CredentialRotatedDetails;
  circuit_opened: CircuitOpenedDetails;
}

export type EventDetails<T extends EventType> = T extends keyof KnownEventDetails ? KnownEventDetails[T] : Record<string, unknown>;

/** The envelope: the webhook body, and what event subscribers receive. */
export interface GatewayEvent<T extends EventType = EventType> {
  event_type: T;
  /** UUID; the same for every delivery attempt of this event. */
  event_id: string;
  /** ISO 8601 UTC. */
  timestamp: string;
  /** Public token id (`tok_…`), null for events not tied to a token. */
  token_id: string | null;
  token_name: string | null;
  project_id: string;
  details: EventDetails<T>;
}
