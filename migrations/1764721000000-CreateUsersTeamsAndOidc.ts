import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, teams, team members, team spend, model access groups and OIDC providers (identity.md §4–§7,
 * data-model.md "Organisation and identity" and `team_spend`). Adds the foreign key of `tokens.team_id`
 * (on delete set null). `api_keys.team_id`/`user_id` stay without one: the API keys feature checks a
 * key's team at mint time, and a deleted team must not widen a key that acted for it.
 */
export class CreateUsersTeamsAndOidc1764721000000 implements MigrationInterface {
  name = 'CreateUsersTeamsAndOidc1764721000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "oidc_providers" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "name" varchar(200) NOT NULL,
      "issuer_url" text NOT NULL,
      "client_id" varchar(500) NOT NULL,
      "client_secret_enc" bytea,
      "jwks_uri" text,
      "audience" varchar(500),
      "scopes" varchar(500) NOT NULL DEFAULT 'openid email profile',
      "claim_mapping" jsonb NOT NULL DEFAULT '{}',
      "default_role" varchar(16) NOT NULL DEFAULT 'readonly',
      "default_scopes" jsonb NOT NULL DEFAULT '[]',
      "enabled" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_oidc_providers" PRIMARY KEY ("id"),
      CONSTRAINT "fk_oidc_providers_org" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE,
      CONSTRAINT "ck_oidc_providers_default_role" CHECK ("default_role" IN ('admin', 'member', 'readonly'))
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_oidc_providers_org_issuer" ON "oidc_providers" ("org_id", "issuer_url")`);
    await q.query(`CREATE INDEX "idx_oidc_providers_issuer" ON "oidc_providers" ("issuer_url")`);

    await q.query(`CREATE TABLE "users" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "email" varchar(320),
      "name" varchar(200),
      "role" varchar(16) NOT NULL DEFAULT 'readonly',
      "role_source" varchar(8) NOT NULL DEFAULT 'oidc',
      "oidc_provider_id" uuid,
      "oidc_subject" varchar(255),
      "last_login_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_users" PRIMARY KEY ("id"),
      CONSTRAINT "fk_users_org" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_users_oidc_provider" FOREIGN KEY ("oidc_provider_id") REFERENCES "oidc_providers"("id") ON DELETE SET NULL,
      CONSTRAINT "ck_users_role" CHECK ("role" IN ('admin', 'member', 'readonly')),
      CONSTRAINT "ck_users_role_source" CHECK ("role_source" IN ('admin', 'oidc'))
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_users_oidc_subject" ON "users" ("oidc_provider_id", "oidc_subject")`);
    await q.query(`CREATE UNIQUE INDEX "uq_users_org_email" ON "users" ("org_id", lower("email"))`);

    await q.query(`CREATE TABLE "teams" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "name" varchar(200) NOT NULL,
      "description" text,
      "max_budget_usd" numeric(12,4),
      "budget_duration" varchar(16),
      "allowed_models" jsonb,
      "tags" jsonb NOT NULL DEFAULT '{}',
      "is_active" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_teams" PRIMARY KEY ("id"),
      CONSTRAINT "fk_teams_org" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE,
      CONSTRAINT "ck_teams_budget_duration" CHECK ("budget_duration" IN ('daily', 'weekly', 'monthly', 'yearly'))
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_teams_org_name" ON "teams" ("org_id", "name")`);

    await q.query(`CREATE TABLE "team_members" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "team_id" uuid NOT NULL,
      "user_id" uuid NOT NULL,
      "role" varchar(16) NOT NULL DEFAULT 'member',
      "source" varchar(8) NOT NULL DEFAULT 'manual',
      "oidc_provider_id" uuid,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_team_members" PRIMARY KEY ("id"),
      CONSTRAINT "fk_team_members_team" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_team_members_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_team_members_oidc_provider" FOREIGN KEY ("oidc_provider_id") REFERENCES "oidc_providers"("id") ON DELETE SET NULL,
      CONSTRAINT "ck_team_members_role" CHECK ("role" IN ('admin', 'member', 'viewer')),
      CONSTRAINT "ck_team_members_source" CHECK ("source" IN ('manual', 'oidc'))
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_team_members_team_user" ON "team_members" ("team_id", "user_id")`);
    await q.query(`CREATE INDEX "idx_team_members_user" ON "team_members" ("user_id")`);

    await q.query(`CREATE TABLE "team_spend" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "team_id" uuid NOT NULL,
      "period" date NOT NULL,
      "total_requests" bigint NOT NULL DEFAULT 0,
      "total_tokens_used" bigint NOT NULL DEFAULT 0,
      "total_spend_usd" numeric(12,4) NOT NULL DEFAULT 0,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_team_spend" PRIMARY KEY ("id"),
      CONSTRAINT "fk_team_spend_team" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_team_spend_team_period" ON "team_spend" ("team_id", "period")`);

    await q.query(`CREATE TABLE "model_access_groups" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "project_id" uuid NOT NULL,
      "name" varchar(200) NOT NULL,
      "description" text,
      "models" jsonb NOT NULL DEFAULT '[]',
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_model_access_groups" PRIMARY KEY ("id"),
      CONSTRAINT "fk_model_access_groups_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_model_access_groups_project_name" ON "model_access_groups" ("project_id", "name")`);

    await q.query(`UPDATE "tokens" SET "team_id" = NULL WHERE "team_id" IS NOT NULL`);
    await q.query(
      `ALTER TABLE "tokens" ADD CONSTRAINT "fk_tokens_team" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE SET NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "tokens" DROP CONSTRAINT "fk_tokens_team"`);
    await q.query(`DROP TABLE "model_access_groups"`);
    await q.query(`DROP TABLE "team_spend"`);
    await q.query(`DROP TABLE "team_members"`);
    await q.query(`DROP TABLE "teams"`);
    await q.query(`DROP TABLE "users"`);
    await q.query(`DROP TABLE "oidc_providers"`);
  }
}
