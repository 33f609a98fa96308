import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled credential rotation (vault-and-spend.md §3). The columns (`rotation_enabled`,
 * `rotation_interval_secs`, `last_rotated_at`) and `rotation_log` exist since
 * CreateVaultAndCredentials; this adds what the job and the log rely on:
 * - a partial index over the live credentials that take part, so the periodic "what is due" query
 *   never scans the rest;
 * - checks: a rotation interval is positive; `rotation_log.trigger` and `status` hold the documented
 *   values only.
 */
export class AddCredentialRotationSchedule1764800000000 implements MigrationInterface {
  name = 'AddCredentialRotationSchedule1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX "ix_credentials_rotation_due" ON "credentials" ("last_rotated_at") WHERE "rotation_enabled" = true AND "deleted_at" IS NULL`,
    );
    await q.query(
      `ALTER TABLE "credentials" ADD CONSTRAINT "ck_credentials_rotation_interval" CHECK ("rotation_interval_secs" IS NULL OR "rotation_interval_secs" > 0)`,
    );
    await q.query(
      `ALTER TABLE "rotation_log" ADD CONSTRAINT "ck_rotation_log_trigger" CHECK ("trigger" IN ('api', 'schedule', 'master_key_rotation'))`,
    );
    await q.query(`ALTER TABLE "rotation_log" ADD CONSTRAINT "ck_rotation_log_status" CHECK ("status" IN ('success', 'failed'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rotation_log" DROP CONSTRAINT IF EXISTS "ck_rotation_log_status"`);
    await q.query(`ALTER TABLE "rotation_log" DROP CONSTRAINT IF EXISTS "ck_rotation_log_trigger"`);
    await q.query(`ALTER TABLE "credentials" DROP CONSTRAINT IF EXISTS "ck_credentials_rotation_interval"`);
    await q.query(`DROP INDEX IF EXISTS "ix_credentials_rotation_due"`);
  }
}
