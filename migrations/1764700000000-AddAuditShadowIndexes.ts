import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for `GET /policies/{id}/shadow-report` (management-api.md "Policies"): containment
 * lookups of one policy in `audit_logs.shadow_violations` and `policies_evaluated`
 * (`@> '[{"policy_id": …}]'`). GIN with `jsonb_path_ops` (containment only, compact), partial on
 * non-empty arrays, so requests no policy ran on — most of the table — cost nothing to index.
 * Created on the partitioned parent, so every partition (current and future) gets them.
 */
export class AddAuditShadowIndexes1764700000000 implements MigrationInterface {
  name = 'AddAuditShadowIndexes1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX "idx_audit_logs_shadow_violations" ON "audit_logs" USING gin ("shadow_violations" jsonb_path_ops) WHERE "shadow_violations" <> '[]'::jsonb`,
    );
    await q.query(
      `CREATE INDEX "idx_audit_logs_policies_evaluated" ON "audit_logs" USING gin ("policies_evaluated" jsonb_path_ops) WHERE "policies_evaluated" <> '[]'::jsonb`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "idx_audit_logs_policies_evaluated"`);
    await q.query(`DROP INDEX IF EXISTS "idx_audit_logs_shadow_violations"`);
  }
}
