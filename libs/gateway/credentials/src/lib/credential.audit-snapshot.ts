import { Injectable } from '@nestjs/common';
import type { CredentialMeta } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { CredentialsRepository } from './credentials.repository';
import { toMeta } from './credentials.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Before/after snapshots of a credential for the admin audit trail: its metadata (CredentialMeta)
 * plus the `project_id` it lives in (so the write is filed under the right project and
 * organisation); never the secret or its ciphertext.
 */
@Injectable()
@AdminAuditSnapshot({ kind: 'credential', routes: ['/credentials', '/credentials/:id', '/credentials/:id/rotate'] })
export class CredentialAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly credentials: CredentialsRepository) {}

  async snapshot(principal: Principal, id: string): Promise<(CredentialMeta & { project_id: string }) | null> {
    if (!UUID.test(id)) return null;
    const row = await this.credentials.findVisible(id.toLowerCase(), principal.role === 'superadmin' ? null : principal.orgId);
    return row ? { ...toMeta(row), project_id: row.projectId } : null;
  }
}
