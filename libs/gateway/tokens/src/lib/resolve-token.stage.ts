import { Injectable } from '@nestjs/common';
import { VIRTUAL_TOKEN_PREFIX } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError } from '@ailink/gateway-core';
import type { ProxyContext, ProxyStage } from '@ailink/gateway-proxy';
import { TokenCache } from './token-cache';
import { readPresentedToken } from './token-carrier';
import { publicIdFromHash, sameDigest, sha256Hex } from './token-secret';

/** The one answer for a missing, malformed, unknown, revoked or expired token: byte-identical bodies. */
export const TOKEN_NOT_FOUND_MESSAGE = 'Invalid or expired virtual token';
export const TOKEN_SUSPENDED_MESSAGE = 'Virtual token is suspended';

function tokenNotFound(): GatewayError {
  return new GatewayError(ErrorCode.TokenNotFound, TOKEN_NOT_FOUND_MESSAGE);
}

/**
 * Proxy stage `resolve-token` (proxy.md §2): reads the virtual token from the route family's
 * carriers, hashes it, resolves the public id through the cache tiers, compares the full SHA-256
 * in constant time, and checks active / expiry / suspension. Sets `ctx.token` and `ctx.tokenCarrier`.
 */
@Injectable()
export class ResolveTokenStage implements ProxyStage {
  readonly name = 'resolve-token';

  constructor(private readonly tokens: TokenCache) {}

  async run(ctx: ProxyContext): Promise<void> {
    const presented = readPresentedToken(ctx.route, (name) => ctx.header(name), ctx.query);
    if (!presented || !presented.value.startsWith(VIRTUAL_TOKEN_PREFIX)) throw tokenNotFound();
    const hash = sha256Hex(presented.value);
    const resolved = await this.tokens.get(publicIdFromHash(hash));
    if (
      !resolved ||
      !sameDigest(resolved.secretSha256, hash) ||
      !resolved.isActive ||
      (resolved.expiresAtMs !== null && resolved.expiresAtMs <= Date.now())
    ) {
      throw tokenNotFound();
    }
    if (resolved.suspended) throw new GatewayError(ErrorCode.TokenSuspended, TOKEN_SUSPENDED_MESSAGE);
    ctx.token = resolved.token;
    ctx.tokenCarrier = presented.carrier;
  }
}
