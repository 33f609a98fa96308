import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Virtual tokens (keyed by their public id `tok_…`, secret stored only as SHA-256) and the service
 * registry (data-model.md `tokens`, `services`). Depends on `projects` and `credentials`.
 */
export class CreateTokensAndServices1764300000000 implements MigrationInterface {
  name = 'CreateTokensAndServices1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "tokens" (
      "id" varchar(28) NOT NULL,
      "secret_sha256" char(64) NOT NULL,
      "last4" char(4) NOT NULL,
      "project_id" uuid NOT NULL,
      "name" varchar(200) NOT NULL,
      "credential_id" uuid,
      "upstream_url" text NOT NULL,
      "upstreams" jsonb NOT NULL DEFAULT '[]',
      "policy_ids" uuid array NOT NULL DEFAULT '{}',
      "scopes" jsonb NOT NULL DEFAULT '[]',
      "log_level" smallint NOT NULL DEFAULT 1,
      "circuit_breaker" jsonb,
      "allowed_models" jsonb,
      "allowed_model_group_ids" uuid array NOT NULL DEFAULT '{}',
      "team_id" uuid,
      "tags" jsonb NOT NULL DEFAULT '{}',
      "mcp_allowed_tools" jsonb,
      "mcp_blocked_tools" jsonb,
      "expires_at" timestamptz,
      "is_active" boolean NOT NULL DEFAULT true,
      "suspended_at" timestamptz,
      "suspended_reason" text,
      "created_by" varchar(200),
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_tokens" PRIMARY KEY ("id"),
      CONSTRAINT "fk_tokens_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_tokens_credential" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id")
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_tokens_secret_sha256" ON "tokens" ("secret_sha256")`);
    await q.query(`CREATE INDEX "idx_tokens_project_active" ON "tokens" ("project_id", "is_active")`);

    await q.query(`CREATE TABLE "services" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "project_id" uuid NOT NULL,
      "name" varchar(100) NOT NULL,
      "description" text,
      "base_url" text NOT NULL,
      "service_type" varchar(50) NOT NULL DEFAULT 'generic',
      "credential_id" uuid,
      "is_active" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_services" PRIMARY KEY ("id"),
      CONSTRAINT "fk_services_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_services_credential" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id")
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_services_project_name_active" ON "services" ("project_id", "name") WHERE "is_active"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "services"`);
    await q.query(`DROP TABLE "tokens"`);
  }
}
