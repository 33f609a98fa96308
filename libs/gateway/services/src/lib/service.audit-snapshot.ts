import { Injectable } from '@nestjs/common';
import type { Service } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { ServicesService } from './services.service';

/** Before/after snapshots of a registered service for the admin audit trail (the Service representation). */
@Injectable()
@AdminAuditSnapshot({ kind: 'service', routes: ['/services', '/services/:id'] })
export class ServiceAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly services: ServicesService) {}

  snapshot(principal: Principal, id: string): Promise<Service> {
    return this.services.get(principal, id);
  }
}
