import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DEFAULT_ORG_ID } from '@ailink/shared-contracts';
import { AppConfig, type Principal } from '@ailink/gateway-core';

/**
 * Authenticates the super-admin key (identity.md §1, rows 1–2): `X-Admin-Key: <key>` or
 * `Authorization: Bearer <key>`, compared as SHA-256 digests in constant time. Disabled when no
 * admin key is configured (production without AILINK_ADMIN_KEY).
 */
@Injectable()
export class AdminKeyAuthenticator {
  private readonly digest?: Buffer;

  constructor(config: AppConfig) {
    this.digest = config.adminKey === undefined ? undefined : sha256(config.adminKey);
  }

  authenticate(headers: Record<string, string | string[] | undefined>): Principal | undefined {
    if (!this.digest) return undefined;
    const candidates: string[] = [];
    const header = headers['x-admin-key'];
    if (typeof header === 'string') candidates.push(header);
    const authorization = headers['authorization'];
    if (typeof authorization === 'string' && /^bearer /i.test(authorization)) candidates.push(authorization.slice(7).trim());
    for (const candidate of candidates) {
      if (timingSafeEqual(sha256(candidate), this.digest)) {
        return { orgId: DEFAULT_ORG_ID, userId: null, role: 'superadmin', scopes: ['*'], authMethod: 'admin_key' };
      }
    }
    return undefined;
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
