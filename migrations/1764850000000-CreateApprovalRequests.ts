import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Human-in-the-loop approvals (data-model.md `approval_requests`; approvals-webhooks-anomalies.md §1):
 * one row per approval, bound to the request it authorises. At most one live (pending or approved,
 * unconsumed) approval exists per (token, idempotency key); pending approvals past `expires_at` are
 * found by the expiry job through the partial index on `expires_at`.
 */
export class CreateApprovalRequests1764850000000 implements MigrationInterface {
  name = 'CreateApprovalRequests1764850000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "approval_requests" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "token_id" varchar(28) NOT NULL,
      "project_id" uuid NOT NULL,
      "idempotency_key" varchar(255) NOT NULL,
      "policy_id" uuid,
      "policy_version" integer NOT NULL,
      "mode" varchar(8) NOT NULL,
      "request_method" varchar(16) NOT NULL,
      "request_path" text NOT NULL,
      "body_digest" char(64) NOT NULL,
      "request_summary" jsonb NOT NULL DEFAULT '{}',
      "status" varchar(16) NOT NULL DEFAULT 'pending',
      "reviewed_by" varchar(200),
      "decision_channel" varchar(16),
      "decision_comment" text,
      "reviewed_at" timestamptz,
      "expires_at" timestamptz NOT NULL,
      "approved_until" timestamptz,
      "consumed_at" timestamptz,
      "fallback" varchar(8) NOT NULL DEFAULT 'deny',
      "routing_choices" jsonb,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_approval_requests" PRIMARY KEY ("id"),
      CONSTRAINT "ck_approval_requests_status" CHECK ("status" IN ('pending', 'approved', 'rejected', 'expired')),
      CONSTRAINT "ck_approval_requests_mode" CHECK ("mode" IN ('wait', 'async')),
      CONSTRAINT "ck_approval_requests_fallback" CHECK ("fallback" IN ('deny', 'allow')),
      CONSTRAINT "fk_approval_requests_token" FOREIGN KEY ("token_id") REFERENCES "tokens"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_approval_requests_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_approval_requests_policy" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE SET NULL
    )`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_approval_requests_live_key" ON "approval_requests" ("token_id", "idempotency_key")
       WHERE "status" IN ('pending', 'approved') AND "consumed_at" IS NULL`,
    );
    await q.query(`CREATE INDEX "ix_approval_requests_token_status" ON "approval_requests" ("token_id", "status")`);
    await q.query(`CREATE INDEX "ix_approval_requests_token_key" ON "approval_requests" ("token_id", "idempotency_key", "created_at")`);
    await q.query(`CREATE INDEX "ix_approval_requests_project_created" ON "approval_requests" ("project_id", "created_at")`);
    await q.query(`CREATE INDEX "ix_approval_requests_pending_expiry" ON "approval_requests" ("expires_at") WHERE "status" = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "approval_requests"`);
  }
}
