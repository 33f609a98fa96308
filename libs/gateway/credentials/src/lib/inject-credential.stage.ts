import { Injectable } from '@nestjs/common';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import { VaultService } from '@ailink/gateway-vault';
import { CredentialStore, type ResolvedCredential } from './credential.store';

/** Client headers carrying passthrough auth, in order of preference (proxy.md §3). */
const PASSTHROUGH_HEADERS = ['x-real-authorization', 'x-upstream-authorization'];

/**
 * The credential step of the proxy pipeline (vault-and-spend.md §2), run just before forwarding.
 *
 * - `ctx.credentialId` is a string: the credential is resolved from the cache tiers (ciphertext
 *   only), decrypted for this request and written into `ctx.upstreamHeaders` (lower-case names) or
 *   appended to `ctx.upstreamQuery`; the plaintext Buffer is zeroed at once. A missing, deleted or
 *   inactive credential (or one of another project than the token) → 502 `credential_missing`.
 *   A `kek_id` this instance does not hold triggers one reload from PostgreSQL before failing.
 *   `sigv4` → 422 `invalid_config` (SigV4 signing is not available yet).
 * - otherwise (`null`: passthrough; undefined: nothing selected): `X-Real-Authorization` or
 *   `X-Upstream-Authorization` becomes the upstream `Authorization`; without either nothing is set.
 */
@Injectable()
export class InjectCredentialStage implements ProxyStage {
  readonly name = 'inject-credential';

  constructor(
    private readonly store: CredentialStore,
    private readonly vault: VaultService,
  ) {}

  async run(ctx: ProxyContext): Promise<void> {
    const id = ctx.credentialId;
    if (typeof id !== 'string') {
      applyPassthrough(ctx);
      return;
    }
    let credential = this.usable(ctx, await this.store.get(id));
    if (!this.vault.hasKek(credential.sealed.kekId)) {
      // Cached ciphertext may predate a master-key re-wrap: read PostgreSQL once more.
      credential = this.usable(ctx, await this.store.reload(id, credential.projectId));
    }
    if (credential.mode === 'sigv4') {
      throw new GatewayError(ErrorCode.InvalidConfig, 'SigV4 signing is not available yet: credential mode sigv4 cannot be injected');
    }
    const secret = this.vault.open(credential.sealed);
    try {
      injectSecret(ctx, credential, secret);
    } finally {
      secret.fill(0);
    }
  }

  private usable(ctx: ProxyContext, credential: ResolvedCredential | null): ResolvedCredential {
    if (!credential || !credential.isActive || (ctx.token && ctx.token.projectId !== credential.projectId)) {
      throw new GatewayError(ErrorCode.CredentialMissing, 'The credential configured for this request is deleted or inactive');
    }
    return credential;
  }
}

/** Passthrough auth: the client's `X-Real-Authorization` / `X-Upstream-Authorization` becomes `authorization`. */
export function applyPassthrough(ctx: ProxyContext): void {
  for (const name of PASSTHROUGH_HEADERS) {
    const value = ctx.header(name);
    if (value) {
      ctx.upstreamHeaders['authorization'] = value;
      return;
    }
  }
}

/**
 * Writes a decrypted secret where the credential's mode says. The string form exists only inside
 * the header or query entry; the caller zeroes `secret` afterwards.
 */
export function injectSecret(ctx: ProxyContext, credential: Pick<ResolvedCredential, 'mode' | 'header'>, secret: Buffer): void {
  switch (credential.mode) {
    case 'bearer':
      ctx.upstreamHeaders[(credential.header ?? 'Authorization').toLowerCase()] = `Bearer ${secret.toString('utf8')}`;
      return;
    case 'basic':
      ctx.upstreamHeaders[(credential.header ?? 'Authorization').toLowerCase()] = `Basic ${secret.toString('base64')}`;
      return;
    case 'header':
      ctx.upstreamHeaders[(credential.header ?? 'Authorization').toLowerCase()] = secret.toString('utf8');
      return;
    case 'query':
      ctx.upstreamQuery.push([credential.header ?? 'key', secret.toString('utf8')]);
      return;
    case 'sigv4':
      throw new GatewayError(ErrorCode.InvalidConfig, 'SigV4 signing is not available yet: credential mode sigv4 cannot be injected');
  }
}
