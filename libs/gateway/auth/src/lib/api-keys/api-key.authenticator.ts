import { Injectable } from '@nestjs/common';
import { API_KEY_PREFIX } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';
import { ApiKeyCache } from './api-key-cache';
import { apiKeyHash, looksLikeApiKey } from './api-key-secret';
import { ApiKeyUsage } from './api-key-usage';

const INVALID_KEY = 'Invalid, revoked or expired API key';

/**
 * Authenticates `Authorization: Bearer ak_live_…` (identity.md §1, row 4): SHA-256 lookup through
 * the cache tiers (no database round trip when cached); unknown, inactive or expired → 401. The use
 * is recorded in memory and written later in batches.
 */
@Injectable()
export class ApiKeyAuthenticator {
  constructor(
    private readonly cache: ApiKeyCache,
    private readonly usage: ApiKeyUsage,
  ) {}

  /** The key's principal; undefined when no API key was presented; throws 401 for a bad one. */
  async authenticate(headers: Record<string, string | string[] | undefined>, nowMs: number = Date.now()): Promise<Principal | undefined> {
    const authorization = headers['authorization'];
    if (typeof authorization !== 'string' || !/^bearer /i.test(authorization)) return undefined;
    const presented = authorization.slice(7).trim();
    if (!presented.startsWith(API_KEY_PREFIX)) return undefined;
    if (!looksLikeApiKey(presented)) throw new GatewayError(ErrorCode.Unauthorized, INVALID_KEY);
    const key = await this.cache.get(apiKeyHash(presented));
    if (!key || !key.isActive || (key.expiresAtMs !== null && key.expiresAtMs <= nowMs)) {
      throw new GatewayError(ErrorCode.Unauthorized, INVALID_KEY);
    }
    this.usage.touch(key.id, nowMs);
    return {
      orgId: key.orgId,
      userId: key.userId,
      role: key.role,
      scopes: key.scopes,
      authMethod: 'api_key',
      keyId: key.id,
      teamId: key.teamId,
    };
  }
}
