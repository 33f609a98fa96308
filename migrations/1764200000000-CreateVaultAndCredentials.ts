import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The vault's `system_state` (active KEK, re-wrap progress), `credentials` (envelope-encrypted
 * provider secrets, data-model.md "Encrypted values") and `rotation_log`.
 */
export class CreateVaultAndCredentials1764200000000 implements MigrationInterface {
  name = 'CreateVaultAndCredentials1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "system_state" (
      "key" varchar(100) NOT NULL,
      "value" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_system_state" PRIMARY KEY ("key")
    )`);
    await q.query(`CREATE TABLE "credentials" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "project_id" uuid NOT NULL,
      "name" varchar(200) NOT NULL,
      "provider" varchar(64) NOT NULL,
      "injection_mode" varchar(16) NOT NULL,
      "injection_header" varchar(128),
      "encrypted_dek" bytea NOT NULL,
      "dek_nonce" bytea NOT NULL,
      "encrypted_secret" bytea NOT NULL,
      "secret_nonce" bytea NOT NULL,
      "kek_id" text NOT NULL,
      "version" integer NOT NULL DEFAULT 1,
      "is_active" boolean NOT NULL DEFAULT true,
      "rotation_enabled" boolean NOT NULL DEFAULT false,
      "rotation_interval_secs" integer,
      "last_rotated_at" timestamptz,
      "deleted_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_credentials" PRIMARY KEY ("id"),
      CONSTRAINT "fk_credentials_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE,
      CONSTRAINT "ck_credentials_injection_mode" CHECK ("injection_mode" IN ('bearer', 'basic', 'header', 'query', 'sigv4'))
    )`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_credentials_project_name_active" ON "credentials" ("project_id", "name") WHERE "deleted_at" IS NULL`,
    );
    await q.query(`CREATE INDEX "ix_credentials_kek_id" ON "credentials" ("kek_id")`);
    await q.query(`CREATE TABLE "rotation_log" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "credential_id" uuid NOT NULL,
      "old_version" integer NOT NULL,
      "new_version" integer NOT NULL,
      "trigger" varchar(32) NOT NULL,
      "status" varchar(16) NOT NULL,
      "error" text,
      "rotated_at" timestamptz NOT NULL DEFAULT now(),
      "created_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_rotation_log" PRIMARY KEY ("id"),
      CONSTRAINT "fk_rotation_log_credential" FOREIGN KEY ("credential_id") REFERENCES "credentials"("id") ON DELETE CASCADE
    )`);
    await q.query(`CREATE INDEX "ix_rotation_log_credential" ON "rotation_log" ("credential_id", "rotated_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "rotation_log"`);
    await q.query(`DROP TABLE "credentials"`);
    await q.query(`DROP TABLE "system_state"`);
  }
}
