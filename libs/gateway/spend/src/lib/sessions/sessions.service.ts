import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { SESSION_STATUSES, type SessionEntityResponse, type SessionStatus } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, LOGGER, type Principal } from '@ailink/gateway-core';
import { ProjectScope } from '@ailink/gateway-database';
import type { ProxyToken } from '@ailink/gateway-proxy';
import type { SessionEntity } from '../entities/session.entity';
import { decimalToMicros, microsToDecimal, parseUsd } from '../money';
import { SpendLedger } from '../spend-ledger';
import { counterRef } from '../spend-keys';
import { SessionCache, toSessionInfo, type SessionInfo } from './session-cache';
import type { SessionQueryDto, SessionSpendCapDto, SessionStatusDto } from './sessions.dto';
import { SessionsRepository } from './sessions.repository';

/** `X-Session-Id` values are at most this long (proxy.md §15). */
export const MAX_SESSION_ID = 128;

function sessionPolicyDenied(status: SessionStatus): GatewayError {
  const reason = status === 'paused' ? 'session_paused' : 'session_completed';
  return new GatewayError(ErrorCode.PolicyDenied, `Session is ${status}`, { details: { reason } });
}

function properties(raw: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Status transitions (proxy.md §15): `active ↔ paused`, any → `completed` (terminal). */
export function transitionAllowed(from: SessionStatus, to: SessionStatus): boolean {
  if (from === 'completed') return to === 'completed';
  return true;
}

/**
 * Sessions (proxy.md §15): the request-path guard (first use creates the row synchronously; paused or
 * completed sessions refuse with 403 `policy_denied`; database errors fail open) and the lifecycle
 * routes (`/sessions/{id}/entity`, `/status`, `/spend-cap`).
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly repository: SessionsRepository,
    private readonly cache: SessionCache,
    private readonly ledger: SpendLedger,
    private readonly scope: ProjectScope,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The session a request belongs to (null: not tracked — no header, or the database failed). Throws
   * 403 `policy_denied` for a paused or completed session, 400 `invalid_request` for an id over 128.
   */
  async forRequest(
    token: ProxyToken,
    sessionId: string,
    propertiesHeader: string | undefined,
    requestId: string,
  ): Promise<SessionInfo | null> {
    if (sessionId.length > MAX_SESSION_ID) {
      throw new GatewayError(ErrorCode.InvalidRequest, `X-Session-Id must be at most ${MAX_SESSION_ID} characters`);
    }
    let info: SessionInfo | null;
    try {
      info = await this.cache.get(token.projectId, sessionId);
      if (!info) {
        info = toSessionInfo(await this.repository.upsert(token.projectId, sessionId, token.id, properties(propertiesHeader)));
        await this.cache.invalidate(token.projectId, sessionId).catch(() => undefined);
      }
    } catch (error) {
      this.logger.warn({ err: error, request_id: requestId }, 'Sessions: could not resolve the session; the request proceeds untracked');
      return null;
    }
    if (info.status !== 'active') throw sessionPolicyDenied(info.status);
    return info;
  }

  async entity(principal: Principal, sessionId: string, query: SessionQueryDto): Promise<SessionEntityResponse> {
    return this.response(await this.find(principal, sessionId, query));
  }

  async setStatus(principal: Principal, sessionId: string, query: SessionQueryDto, dto: SessionStatusDto): Promise<SessionEntityResponse> {
    const row = await this.find(principal, sessionId, query);
    const status = dto.status;
    if (typeof status !== 'string' || !(SESSION_STATUSES as readonly string[]).includes(status)) {
      throw GatewayError.validation([{ path: '$.status', message: `must be one of ${SESSION_STATUSES.join(', ')}` }]);
    }
    if (!transitionAllowed(row.status as SessionStatus, status as SessionStatus)) {
      throw GatewayError.validation([{ path: '$.status', message: `a ${row.status} session cannot become ${status}` }]);
    }
    if (row.status !== status) {
      await this.repository.setStatus(row.id, status);
      await this.cache.invalidate(row.projectId, row.sessionId);
    }
    return this.response(await this.find(principal, sessionId, query));
  }

  async setSpendCap(
    principal: Principal,
    sessionId: string,
    query: SessionQueryDto,
    dto: SessionSpendCapDto,
  ): Promise<SessionEntityResponse> {
    const row = await this.find(principal, sessionId, query);
    let cap: number | null = null;
    if (dto.spend_cap_usd !== undefined && dto.spend_cap_usd !== null) {
      const parsed = parseUsd(dto.spend_cap_usd);
      if (!parsed.ok && parsed.problem === 'type') {
        throw new GatewayError(ErrorCode.BadRequest, '$.spend_cap_usd: must be a number or a decimal string', {
          details: { errors: [{ path: '$.spend_cap_usd', message: 'must be a number or a decimal string' }] },
        });
      }
      if (!parsed.ok) {
        throw GatewayError.validation([
          { path: '$.spend_cap_usd', message: parsed.problem === 'negative' ? 'must not be negative' : 'must be at most 999999.999999' },
        ]);
      }
      cap = parsed.micros;
    }
    await this.repository.setSpendCap(row.id, cap);
    await this.cache.invalidate(row.projectId, row.sessionId);
    return this.response(await this.find(principal, sessionId, query));
  }

  private async find(principal: Principal, sessionId: string, query: SessionQueryDto): Promise<SessionEntity> {
    const projectId = await this.scope.resolve(principal, query.project_id);
    const row = sessionId.length <= MAX_SESSION_ID ? await this.repository.find(projectId, sessionId) : null;
    if (!row) throw GatewayError.notFound('Session');
    return row;
  }

  /** The row, with cost and request totals from the live counter when it is loaded (flushes lag). */
  private async response(row: SessionEntity): Promise<SessionEntityResponse> {
    let cost = decimalToMicros(row.totalCostUsd);
    let requests = Number(row.totalRequests);
    try {
      await this.ledger.applyPending();
      const [live] = await this.ledger.read([counterRef('session', `${row.projectId}:${row.sessionId}`, 'lifetime', new Date())]);
      cost = live.spentMicros;
      requests = live.requests;
    } catch (error) {
      this.logger.warn({ err: error }, 'Sessions: counters unavailable; reporting PostgreSQL totals');
    }
    return {
      id: row.id,
      session_id: row.sessionId,
      project_id: row.projectId,
      token_id: row.tokenId,
      status: row.status as SessionStatus,
      spend_cap_usd: row.spendCapUsd,
      total_cost_usd: microsToDecimal(cost),
      total_tokens: Number(row.totalTokens) + this.ledger.pendingSessionTokens(row.projectId, row.sessionId),
      total_requests: requests,
      metadata: row.metadata ?? {},
      created_at: row.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
      completed_at: row.completedAt ? row.completedAt.toISOString() : null,
    };
  }
}
