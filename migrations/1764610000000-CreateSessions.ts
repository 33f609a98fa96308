import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Session lifecycle rows (data-model.md `sessions`; proxy.md §15): created at a session's first
 * request, paused/completed through the API, with an optional spend cap and the totals flushed from
 * the spend counters.
 */
export class CreateSessions1764610000000 implements MigrationInterface {
  name = 'CreateSessions1764610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "sessions" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "session_id" varchar(128) NOT NULL,
      "project_id" uuid NOT NULL,
      "token_id" varchar(28),
      "status" varchar(16) NOT NULL DEFAULT 'active',
      "spend_cap_usd" numeric(12,6),
      "total_cost_usd" numeric(12,6) NOT NULL DEFAULT 0,
      "total_tokens" bigint NOT NULL DEFAULT 0,
      "total_requests" bigint NOT NULL DEFAULT 0,
      "metadata" jsonb NOT NULL DEFAULT '{}',
      "completed_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_sessions" PRIMARY KEY ("id"),
      CONSTRAINT "fk_sessions_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_sessions_token" FOREIGN KEY ("token_id") REFERENCES "tokens"("id") ON DELETE SET NULL
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_sessions_project_session" ON "sessions" ("project_id", "session_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "sessions"`);
  }
}
