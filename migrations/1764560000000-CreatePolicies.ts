import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Policies and their version history (data-model.md `policies`, `policy_versions`; policies.md).
 * Depends on `projects`. `tokens.policy_ids` references policies by id (uuid[], no FK).
 */
export class CreatePolicies1764560000000 implements MigrationInterface {
  name = 'CreatePolicies1764560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "policies" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "project_id" uuid NOT NULL,
      "name" varchar(128) NOT NULL,
      "mode" varchar(16) NOT NULL DEFAULT 'enforce',
      "phase" varchar(8) NOT NULL DEFAULT 'pre',
      "rules" jsonb NOT NULL DEFAULT '[]',
      "retry" jsonb,
      "buffer_streaming_for_post_flight" boolean NOT NULL DEFAULT false,
      "managed" boolean NOT NULL DEFAULT false,
      "presets" text array NOT NULL DEFAULT '{}',
      "version" integer NOT NULL DEFAULT 1,
      "is_active" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_policies" PRIMARY KEY ("id"),
      CONSTRAINT "fk_policies_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
      CONSTRAINT "ck_policies_mode" CHECK ("mode" IN ('enforce', 'shadow')),
      CONSTRAINT "ck_policies_phase" CHECK ("phase" IN ('pre', 'post'))
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_policies_project_name_active" ON "policies" ("project_id", "name") WHERE "is_active"`);

    await q.query(`CREATE TABLE "policy_versions" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "policy_id" uuid NOT NULL,
      "version" integer NOT NULL,
      "name" varchar(128) NOT NULL,
      "mode" varchar(16) NOT NULL,
      "phase" varchar(8) NOT NULL,
      "rules" jsonb NOT NULL,
      "retry" jsonb,
      "buffer_streaming_for_post_flight" boolean NOT NULL DEFAULT false,
      "changed_by" varchar(200),
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_policy_versions" PRIMARY KEY ("id"),
      CONSTRAINT "fk_policy_versions_policy" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE CASCADE
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_policy_versions_policy_version" ON "policy_versions" ("policy_id", "version")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "policy_versions"`);
    await q.query(`DROP TABLE "policies"`);
  }
}
