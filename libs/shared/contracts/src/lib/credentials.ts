/** How a credential reaches the upstream (vault-and-spend.md §2). */
export const INJECTION_MODES = ['bearer', 'basic', 'header', 'query', 'sigv4'] as const;
export type CredentialInjectionMode = (typeof INJECTION_MODES)[number];

/** `GET /api/v1/credentials` item and `GET /credentials/{id}`: never the secret. */
export interface CredentialMeta {
  id: string;
  name: string;
  provider: string;
  version: number;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  injection_mode: CredentialInjectionMode;
  /** Header name (query parameter name for `query`); null for `sigv4`. */
  injection_header: string | null;
  rotation_enabled: boolean;
  rotation_interval_secs: number | null;
  last_rotated_at: string | null;
}

/** `POST /api/v1/credentials` body. */
export interface CreateCredentialRequest {
  name: string;
  provider: string;
  secret: string;
  project_id?: string;
  injection_mode?: string;
  injection_header?: string;
  rotation_enabled?: boolean;
  rotation_interval_secs?: number;
}

/** `PATCH /api/v1/credentials/{id}` body (partial; `null` clears a nullable field). */
export interface UpdateCredentialRequest {
  name?: string;
  injection_mode?: string;
  injection_header?: string | null;
  rotation_enabled?: boolean;
  rotation_interval_secs?: number | null;
}

/** `POST /api/v1/credentials/{id}/rotate` body: a new secret (`api_key` is a synonym) or nothing (DEK refresh). */
export interface RotateCredentialRequest {
  secret?: string;
  api_key?: string;
}

export interface CreateCredentialResponse {
  id: string;
  name: string;
  message: string;
}

export interface RotateCredentialResponse {
  id: string;
  version: number;
  rotated_at: string;
  message: string;
}

export interface DeleteCredentialResponse {
  id: string;
  deleted: boolean;
}

/** State of the master-key re-wrap (vault-and-spend.md §3). */
export type RewrapState = 'idle' | 'running' | 'done' | 'failed';

/** `GET /api/v1/system/master-key` and the 202 body of `POST /system/master-key/rotate`. */
export interface MasterKeyStatus {
  current_kek_id: string;
  previous_kek_id: string | null;
  /** The KEK new secrets are wrapped with (switched to the current key by the rotate call). */
  active_kek_id: string;
  rows_by_kek_id: Record<string, number>;
  rewrap: {
    state: RewrapState;
    rewrapped: number;
    remaining: number;
    started_at: string | null;
    finished_at: string | null;
    error: string | null;
  };
}

/** How a credential is injected when `injection_mode` is omitted. `header` is null for `sigv4`. */
export interface DefaultInjection {
  readonly mode: CredentialInjectionMode;
  readonly header: string | null;
}

/** The default injection by provider (vault-and-spend.md §2) — one rule for the gateway and the portal. */
export function defaultInjectionFor(provider: string): DefaultInjection {
  switch (provider.trim().toLowerCase()) {
    case 'anthropic':
      return { mode: 'header', header: 'x-api-key' };
    case 'gemini':
    case 'google':
      return { mode: 'header', header: 'x-goog-api-key' };
    case 'azure':
    case 'azure_openai':
      return { mode: 'header', header: 'api-key' };
    case 'bedrock':
    case 'aws':
      return { mode: 'sigv4', header: null };
    default:
      return { mode: 'bearer', header: 'Authorization' };
  }
}
