import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin audit trail (data-model.md `admin_audit_log`; management-api.md "Admin audit trail"):
 * one row per successful Management API write, with masked before/after snapshots. `project_id`
 * and `route` are additions to the spec's columns. No foreign keys: rows outlive what they mention.
 */
export class CreateAdminAuditLog1764790000000 implements MigrationInterface {
  name = 'CreateAdminAuditLog1764790000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "admin_audit_log" (
      "id" uuid NOT NULL,
      "org_id" uuid NOT NULL,
      "project_id" uuid,
      "actor" varchar(200) NOT NULL,
      "auth_method" varchar(16) NOT NULL,
      "method" varchar(8) NOT NULL,
      "path" text NOT NULL,
      "route" varchar(512) NOT NULL,
      "resource_kind" varchar(128) NOT NULL,
      "resource_id" varchar(512),
      "status" smallint NOT NULL,
      "request_id" varchar(64) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "before" jsonb,
      "after" jsonb,
      CONSTRAINT "pk_admin_audit_log" PRIMARY KEY ("id")
    )`);
    // Newest first per organisation (the spec's `(org_id, created_at desc)`; a btree is read backwards).
    await q.query(`CREATE INDEX "idx_admin_audit_log_org_created" ON "admin_audit_log" ("org_id", "created_at", "id")`);
    await q.query(
      `CREATE INDEX "idx_admin_audit_log_org_resource" ON "admin_audit_log" ("org_id", "resource_kind", "resource_id", "created_at")`,
    );
    await q.query(`CREATE INDEX "idx_admin_audit_log_org_actor" ON "admin_audit_log" ("org_id", "actor", "created_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "admin_audit_log"`);
  }
}
