import { Injectable } from '@nestjs/common';
import type { SessionStatus } from '@ailink/shared-contracts';
import { AppConfig } from '@ailink/gateway-core';
import { TieredCacheFactory, type TieredCache } from '@ailink/gateway-redis';
import { decimalToMicros } from '../money';
import type { SessionEntity } from '../entities/session.entity';
import { SessionsRepository } from './sessions.repository';

/** What the proxy needs of a session. */
export interface SessionInfo {
  id: string;
  status: SessionStatus;
  /** null: no session cap. */
  spendCapMicros: number | null;
}

/** Cache kind of sessions: `ailink:res:session:{project_id}:{session_id}`. */
export const SESSION_CACHE_KIND = 'session';

export function sessionCacheId(projectId: string, sessionId: string): string {
  return `${projectId}:${sessionId}`;
}

export function toSessionInfo(row: SessionEntity): SessionInfo {
  return {
    id: row.id,
    status: row.status as SessionStatus,
    spendCapMicros: row.spendCapUsd === null ? null : decimalToMicros(row.spendCapUsd),
  };
}

/**
 * Sessions through the cache tiers (proxy.md §15: "session status is resolved through the cache
 * tiers, so after its first request a session costs no database round trip"). Status and cap writes
 * invalidate the entry on every instance within 1 s.
 */
@Injectable()
export class SessionCache {
  private readonly cache: TieredCache<SessionInfo>;

  constructor(factory: TieredCacheFactory, config: AppConfig, repository: SessionsRepository) {
    this.cache = factory.create<SessionInfo>({
      kind: SESSION_CACHE_KIND,
      loader: async (id) => {
        const colon = id.indexOf(':');
        const row = await repository.find(id.slice(0, colon), id.slice(colon + 1));
        return row ? toSessionInfo(row) : null;
      },
      l1MaxEntries: config.l1MaxEntries,
      l1TtlMs: Math.max(1, config.l1TtlMs),
      l2TtlSecs: config.l2TtlSecs,
    });
  }

  get(projectId: string, sessionId: string): Promise<SessionInfo | null> {
    return this.cache.get(sessionCacheId(projectId, sessionId));
  }

  invalidate(projectId: string, sessionId: string): Promise<void> {
    return this.cache.invalidate(sessionCacheId(projectId, sessionId), projectId);
  }
}
