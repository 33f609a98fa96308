import { Injectable } from '@nestjs/common';
import type { CredentialMeta } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { CredentialsService } from './credentials.service';

/** Before/after snapshots of a credential for the admin audit trail: its metadata only, never the secret. */
@Injectable()
@AdminAuditSnapshot({ kind: 'credential', routes: ['/credentials', '/credentials/:id', '/credentials/:id/rotate'] })
export class CredentialAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly credentials: CredentialsService) {}

  snapshot(principal: Principal, id: string): Promise<CredentialMeta> {
    return this.credentials.get(principal, id);
  }
}
