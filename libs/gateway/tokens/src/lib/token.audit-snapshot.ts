import { Injectable } from '@nestjs/common';
import type { Token } from '@ailink/shared-contracts';
import { AdminAuditSnapshot, type AdminAuditSnapshotProvider, type Principal } from '@ailink/gateway-core';
import { TokensService } from './tokens.service';

/**
 * Before/after snapshots of a token for the admin audit trail: the Token representation (public
 * id, `masked`; never the bearer secret). The circuit-breaker config is part of it.
 */
@Injectable()
@AdminAuditSnapshot({ kind: 'token', routes: ['/tokens', '/tokens/:id', '/tokens/:id/circuit-breaker'] })
export class TokenAuditSnapshot implements AdminAuditSnapshotProvider {
  constructor(private readonly tokens: TokensService) {}

  snapshot(principal: Principal, id: string): Promise<Token> {
    return this.tokens.get(principal, id);
  }
}
