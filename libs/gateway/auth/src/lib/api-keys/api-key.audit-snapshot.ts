import { Injectable } from '@nestjs/common';
import type { ApiKey } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { ApiKeysRepository } from './api-keys.repository';
import { toApiKeyResponse } from './api-keys.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Before/after snapshots of a management API key for the admin audit trail: the ApiKey
 * representation (display prefix, role, scopes; never the key or its hash).
 */
@Injectable()
@AdminAuditSnapshot({ kind: 'api_key', routes: ['/auth/keys', '/auth/keys/:id'] })
export class ApiKeyAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly keys: ApiKeysRepository) {}

  async snapshot(principal: Principal, id: string): Promise<ApiKey | null> {
    if (!UUID.test(id)) return null;
    const row = await this.keys.findInOrg(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    return row ? toApiKeyResponse(row) : null;
  }
}
