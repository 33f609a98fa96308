import { ErrorCode, GatewayError } from '@ailink/gateway-core';

/** Why a secret could not be opened; logged, never part of the response. */
export type DecryptFailureReason = 'unknown_kek_id' | 'authentication_failed' | 'malformed';

/**
 * A sealed value could not be opened: unknown `kek_id`, a failed GCM tag (wrong key or tampered
 * ciphertext) or a malformed value. The global filter answers 500 `internal_server_error`; the
 * message and fields never carry secret material.
 */
export class SecretDecryptError extends GatewayError {
  constructor(
    readonly reason: DecryptFailureReason,
    readonly kekId: string | null,
  ) {
    super(ErrorCode.InternalServerError, 'Secret could not be decrypted');
    this.name = 'SecretDecryptError';
  }
}
