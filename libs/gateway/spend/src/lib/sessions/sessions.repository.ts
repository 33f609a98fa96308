import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SessionEntity } from '../entities/session.entity';
import { microsToDecimal } from '../money';

/** Tokens to add to a session's `total_tokens`. */
export interface SessionTokens {
  projectId: string;
  sessionId: string;
  tokens: number;
}

/** Owns the queries on `sessions`. */
@Injectable()
export class SessionsRepository {
  constructor(@InjectRepository(SessionEntity) private readonly sessions: Repository<SessionEntity>) {}

  find(projectId: string, sessionId: string): Promise<SessionEntity | null> {
    return this.sessions.findOne({ where: { projectId, sessionId } });
  }

  /** Creates the session on first use (a concurrent first use of the same id creates one row); returns it. */
  async upsert(projectId: string, sessionId: string, tokenId: string, metadata: Record<string, unknown>): Promise<SessionEntity> {
    await this.sessions.query(
      `INSERT INTO sessions (project_id, session_id, token_id, metadata) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (project_id, session_id) DO NOTHING`,
      [projectId, sessionId, tokenId, JSON.stringify(metadata)],
    );
    return this.sessions.findOneOrFail({ where: { projectId, sessionId } });
  }

  async setStatus(id: string, status: string): Promise<void> {
    await this.sessions.query(
      `UPDATE sessions SET status = $2::varchar, completed_at = CASE WHEN $2::varchar = 'completed' THEN now() ELSE completed_at END, updated_at = now()
       WHERE id = $1`,
      [id, status],
    );
  }

  async setSpendCap(id: string, capMicros: number | null): Promise<void> {
    await this.sessions.query(`UPDATE sessions SET spend_cap_usd = $2, updated_at = now() WHERE id = $1`, [
      id,
      capMicros === null ? null : microsToDecimal(capMicros),
    ]);
  }

  /** Adds token counts to the sessions' totals (one statement for the batch). */
  async addTokens(batch: readonly SessionTokens[]): Promise<void> {
    if (batch.length === 0) return;
    await this.sessions.query(
      `UPDATE sessions s SET total_tokens = s.total_tokens + u.tokens, updated_at = now()
       FROM (SELECT project_id, session_id, sum(tokens) AS tokens
             FROM unnest($1::uuid[], $2::varchar[], $3::bigint[]) AS t(project_id, session_id, tokens)
             GROUP BY project_id, session_id) u
       WHERE s.project_id = u.project_id AND s.session_id = u.session_id`,
      [batch.map((b) => b.projectId), batch.map((b) => b.sessionId), batch.map((b) => b.tokens)],
    );
  }
}
