import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ApprovalRequestSummary, ApprovalStatus } from '@ailink/shared-contracts';
import { APPROVED_WINDOW_SECS } from './approval-binding';

/** A stored approval as the queries return it (snake_case columns) plus the database clock of the read. */
export interface ApprovalRow {
  id: string;
  token_id: string;
  project_id: string;
  idempotency_key: string;
  policy_id: string | null;
  policy_version: number;
  mode: 'wait' | 'async';
  request_method: string;
  request_path: string;
  body_digest: string;
  request_summary: ApprovalRequestSummary;
  status: ApprovalStatus;
  reviewed_by: string | null;
  decision_channel: 'api' | 'slack' | null;
  decision_comment: string | null;
  reviewed_at: Date | null;
  expires_at: Date;
  approved_until: Date | null;
  consumed_at: Date | null;
  fallback: 'deny' | 'allow';
  routing_choices: Record<string, unknown> | null;
  created_at: Date;
  /** `now()` of the database when the row was read: every time comparison uses this clock. */
  db_now: Date;
}

/** A new approval. */
export interface NewApproval {
  tokenId: string;
  projectId: string;
  idempotencyKey: string;
  policyId: string;
  policyVersion: number;
  mode: 'wait' | 'async';
  method: string;
  path: string;
  bodyDigest: string;
  summary: ApprovalRequestSummary;
  timeoutSecs: number;
  fallback: 'deny' | 'allow';
  routingChoices: Record<string, unknown> | null;
}

export interface ApprovalListFilter {
  projectId: string;
  status?: ApprovalStatus;
  tokenId?: string;
  limit: number;
  offset: number;
}

/** A decision as applied. */
export interface DecisionInput {
  status: 'approved' | 'rejected';
  reviewedBy: string;
  channel: 'api' | 'slack';
  comment: string | null;
}

const RETURNING = 'RETURNING *, now() AS db_now';
/** Pending rows past `expires_at` read as `expired` even before the expiry job has marked them. */
const EFFECTIVE = `*, CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired' ELSE status END AS status, now() AS db_now`;

/** Runs queries inside one transaction that holds the token's approval lock. */
export class LockedApprovalQueries {
  constructor(private readonly manager: EntityManager) {}

  latest(tokenId: string, key: string): Promise<ApprovalRow | null> {
    return latest(this.manager, tokenId, key);
  }

  /** Pending approvals of the token that have not expired (the cap counts these). */
  async countPending(tokenId: string): Promise<number> {
    const rows: { n: number }[] = await this.manager.query(
      `SELECT count(*)::int AS n FROM approval_requests WHERE token_id = $1 AND status = 'pending' AND expires_at > now()`,
      [tokenId],
    );
    return rows[0]?.n ?? 0;
  }

  /** Marks a live approval superseded (`expired`), e.g. when its policy version changed. */
  async supersede(id: string): Promise<void> {
    await this.manager.query(
      `UPDATE approval_requests SET status = 'expired' WHERE id = $1 AND status IN ('pending', 'approved') AND consumed_at IS NULL`,
      [id],
    );
  }

  async insert(approval: NewApproval): Promise<ApprovalRow> {
    const rows: ApprovalRow[] = await this.manager.query(
      `INSERT INTO approval_requests (token_id, project_id, idempotency_key, policy_id, policy_version, mode, request_method,
         request_path, body_digest, request_summary, status, expires_at, fallback, routing_choices)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, 'pending', now() + make_interval(secs => $11), $12, $13::jsonb)
       ${RETURNING}`,
      [
        approval.tokenId,
        approval.projectId,
        approval.idempotencyKey,
        approval.policyId,
        approval.policyVersion,
        approval.mode,
        approval.method,
        approval.path,
        approval.bodyDigest,
        JSON.stringify(approval.summary),
        approval.timeoutSecs,
        approval.fallback,
        approval.routingChoices === null ? null : JSON.stringify(approval.routingChoices),
      ],
    );
    return rows[0] as ApprovalRow;
  }
}

function latest(manager: EntityManager, tokenId: string, key: string): Promise<ApprovalRow | null> {
  return manager
    .query(
      `SELECT *, now() AS db_now FROM approval_requests WHERE token_id = $1 AND idempotency_key = $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [tokenId, key],
    )
    .then((rows: ApprovalRow[]) => rows[0] ?? null);
}

/**
 * Owns the queries on `approval_requests`. Every comparison with `expires_at` and `approved_until`
 * uses the database's `now()` (approvals-webhooks-anomalies.md, "Binding and consumption").
 */
@Injectable()
export class ApprovalsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The most recent approval for (token, idempotency key), whatever its state. */
  latest(tokenId: string, key: string): Promise<ApprovalRow | null> {
    return latest(this.dataSource.manager, tokenId, key);
  }

  async byId(id: string): Promise<ApprovalRow | null> {
    const rows: ApprovalRow[] = await this.dataSource.query(`SELECT *, now() AS db_now FROM approval_requests WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Runs `work` in a transaction holding `pg_advisory_xact_lock` on the token, so that creating an
   * approval (and the pending cap) is serialised across instances.
   */
  withTokenLock<T>(tokenId: string, work: (queries: LockedApprovalQueries) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('ailink:hitl:' || $1))`, [tokenId]);
      return work(new LockedApprovalQueries(manager));
    });
  }

  /** `pending` past `expires_at` → `expired`; the row when this call expired it. */
  async expireIfDue(id: string): Promise<ApprovalRow | null> {
    const rows: ApprovalRow[] = await this.dataSource.query(
      `UPDATE approval_requests SET status = 'expired' WHERE id = $1 AND status = 'pending' AND expires_at <= now() ${RETURNING}`,
      [id],
    );
    return firstOf(rows);
  }

  /** An approved approval whose window passed unused → `expired` (its fallback then applies). */
  async lapse(id: string): Promise<ApprovalRow | null> {
    const rows: ApprovalRow[] = await this.dataSource.query(
      `UPDATE approval_requests SET status = 'expired'
        WHERE id = $1 AND status = 'approved' AND consumed_at IS NULL AND approved_until <= now() ${RETURNING}`,
      [id],
    );
    return firstOf(rows);
  }

  /** Applies a decision to a pending, unexpired approval; null when it was not pending (or had expired). */
  async decide(id: string, decision: DecisionInput): Promise<ApprovalRow | null> {
    const rows: ApprovalRow[] = await this.dataSource.query(
      `UPDATE approval_requests
          SET status = $2::varchar, reviewed_by = $3, decision_channel = $4, decision_comment = $5, reviewed_at = now(),
              approved_until = CASE WHEN $2::varchar = 'approved' THEN now() + make_interval(secs => $6) ELSE NULL END
        WHERE id = $1 AND status = 'pending' AND expires_at > now()
        ${RETURNING}`,
      [id, decision.status, decision.reviewedBy, decision.channel, decision.comment, APPROVED_WINDOW_SECS],
    );
    return firstOf(rows);
  }

  /**
   * Consumes an approval for the one request it authorises, atomically: approved and inside its
   * window, or expired with `fallback: allow`. False when another request (or retry) already used it.
   */
  async consume(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `UPDATE approval_requests SET consumed_at = now()
        WHERE id = $1 AND consumed_at IS NULL
          AND ((status = 'approved' AND approved_until > now()) OR (status = 'expired' AND fallback = 'allow'))
        RETURNING id`,
      [id],
    );
    return firstOf(rows) !== null;
  }

  /**
   * Records that a refusal (rejected, or expired with `fallback: deny`) was answered to a client:
   * the next identical request then asks for a new approval instead of being refused again.
   */
  async markAnswered(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE approval_requests SET consumed_at = now()
        WHERE id = $1 AND consumed_at IS NULL AND (status = 'rejected' OR (status = 'expired' AND fallback = 'deny'))`,
      [id],
    );
  }

  /**
   * The expiry job's batch: pending approvals past `expires_at`, and approved ones whose window
   * passed unused, become `expired` (rows locked by a concurrent run are skipped).
   */
  async expireDue(limit: number): Promise<{ id: string; previous: 'pending' | 'approved' }[]> {
    const result: unknown = await this.dataSource.query(
      `UPDATE approval_requests a SET status = 'expired'
         FROM (SELECT id, status AS previous FROM approval_requests
                WHERE (status = 'pending' AND expires_at <= now())
                   OR (status = 'approved' AND consumed_at IS NULL AND approved_until <= now())
                ORDER BY expires_at
                LIMIT $1
                FOR UPDATE SKIP LOCKED) due
        WHERE a.id = due.id
        RETURNING a.id, due.previous`,
      [limit],
    );
    return rowsOf(result as { id: string; previous: 'pending' | 'approved' }[]);
  }

  /** The name of a token (for event envelopes); null when it is gone. */
  async tokenName(tokenId: string): Promise<string | null> {
    const rows: { name: string }[] = await this.dataSource.query(`SELECT name FROM tokens WHERE id = $1`, [tokenId]);
    return rows[0]?.name ?? null;
  }

  /** A project's approvals, newest first. */
  list(filter: ApprovalListFilter): Promise<ApprovalRow[]> {
    const where = ['project_id = $1'];
    const params: unknown[] = [filter.projectId];
    if (filter.status === 'pending') where.push(`status = 'pending' AND expires_at > now()`);
    else if (filter.status === 'expired') where.push(`(status = 'expired' OR (status = 'pending' AND expires_at <= now()))`);
    else if (filter.status) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (filter.tokenId) {
      params.push(filter.tokenId);
      where.push(`token_id = $${params.length}`);
    }
    params.push(filter.limit, filter.offset);
    return this.dataSource.query(
      `SELECT ${EFFECTIVE} FROM approval_requests WHERE ${where.join(' AND ')}
        ORDER BY created_at DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
  }

  /** One approval, only when its project belongs to `orgId` (null: any organisation, for the super-admin). */
  async findInOrg(id: string, orgId: string | null): Promise<ApprovalRow | null> {
    const rows: ApprovalRow[] =
      orgId === null
        ? await this.dataSource.query(`SELECT ${EFFECTIVE} FROM approval_requests WHERE id = $1`, [id])
        : await this.dataSource.query(
            `SELECT ${EFFECTIVE} FROM approval_requests
              WHERE id = $1 AND project_id IN (SELECT p.id FROM projects p WHERE p.org_id = $2)`,
            [id, orgId],
          );
    return rows[0] ?? null;
  }
}

/** `UPDATE … RETURNING` through TypeORM's postgres driver answers `[rows, affected]`; a SELECT the rows. */
function rowsOf<T>(result: T[] | [T[], number]): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
}

function firstOf<T>(result: T[] | [T[], number]): T | null {
  return rowsOf(result)[0] ?? null;
}
