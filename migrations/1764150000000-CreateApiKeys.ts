import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Management API keys (identity.md §3, data-model.md `api_keys`), plus what organisations need to
 * be more than the seeded one: unique names (`POST /organizations` answers 409 on a clash) and one
 * default project per organisation (`projects.is_default`), which calls without `project_id` act on.
 *
 * `user_id` and `team_id` have no foreign keys yet: the users and teams features add them.
 */
export class CreateApiKeys1764150000000 implements MigrationInterface {
  name = 'CreateApiKeys1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX "uq_organizations_name" ON "organizations" ("name")`);
    await q.query(`ALTER TABLE "projects" ADD "is_default" boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE "projects" SET "is_default" = true WHERE "id" = '00000000-0000-0000-0000-000000000001'`);
    await q.query(`CREATE UNIQUE INDEX "uq_projects_org_default" ON "projects" ("org_id") WHERE "is_default"`);

    await q.query(`CREATE TABLE "api_keys" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "user_id" uuid,
      "team_id" uuid,
      "name" varchar(200) NOT NULL,
      "key_hash" char(64) NOT NULL,
      "key_prefix" varchar(32) NOT NULL,
      "role" varchar(16) NOT NULL,
      "scopes" jsonb NOT NULL DEFAULT '[]',
      "is_active" boolean NOT NULL DEFAULT true,
      "last_used_at" timestamptz,
      "expires_at" timestamptz,
      "created_by" varchar(200),
      "revoked_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_api_keys" PRIMARY KEY ("id"),
      CONSTRAINT "fk_api_keys_org" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE,
      CONSTRAINT "ck_api_keys_role" CHECK ("role" IN ('admin', 'member', 'readonly'))
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash")`);
    await q.query(`CREATE INDEX "idx_api_keys_org_active" ON "api_keys" ("org_id", "is_active")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "api_keys"`);
    await q.query(`DROP INDEX "uq_projects_org_default"`);
    await q.query(`ALTER TABLE "projects" DROP COLUMN "is_default"`);
    await q.query(`DROP INDEX "uq_organizations_name"`);
  }
}
