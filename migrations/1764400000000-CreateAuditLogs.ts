import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit storage (audit-and-observability.md §1–§4, data-model.md "Audit"):
 *
 * - `audit_logs` and `audit_log_bodies`, range-partitioned on `created_at` (monthly by default, daily
 *   with `AILINK_AUDIT_PARTITION=day`), each with a DEFAULT partition as a safety net;
 * - the partitions for the current period and `AILINK_AUDIT_PARTITIONS_AHEAD` (3) periods ahead — the
 *   gateway's maintenance job keeps creating them at startup and hourly;
 * - `audit_chain_heads`, the per-project head of the hash chain, updated in the flush transaction.
 *
 * These tables are written and read with SQL by the audit library (no TypeORM entities: the schema
 * diff cannot model partitioned tables). The partition arithmetic is repeated here on purpose, so that
 * this migration never changes when the library does.
 */
export class CreateAuditLogs1764400000000 implements MigrationInterface {
  name = 'CreateAuditLogs1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "audit_logs" (
      "id" uuid NOT NULL,
      "seq" bigint NOT NULL,
      "project_id" uuid NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "request_id" varchar(64) NOT NULL,
      "token_id" varchar(28),
      "method" varchar(16) NOT NULL,
      "path" text NOT NULL,
      "upstream_url" text,
      "upstream_status" smallint,
      "response_latency_ms" integer,
      "overhead_ms" numeric(10,3),
      "ttft_ms" integer,
      "agent_name" text,
      "policy_result" varchar(16) NOT NULL DEFAULT 'allowed',
      "policy_mode" varchar(16),
      "policies_evaluated" jsonb NOT NULL DEFAULT '[]',
      "deny_reason" text,
      "shadow_violations" jsonb NOT NULL DEFAULT '[]',
      "fields_redacted" text[] NOT NULL DEFAULT '{}',
      "hitl_required" boolean NOT NULL DEFAULT false,
      "hitl_decision" varchar(16),
      "hitl_latency_ms" integer,
      "approval_id" uuid,
      "estimated_cost_usd" numeric(12,6),
      "pricing_missing" boolean NOT NULL DEFAULT false,
      "prompt_tokens" integer,
      "completion_tokens" integer,
      "tokens_per_second" double precision,
      "model" text,
      "model_alias" text,
      "provider" text,
      "user_id" text,
      "tenant_id" text,
      "external_request_id" text,
      "session_id" text,
      "parent_span_id" text,
      "log_level" smallint NOT NULL DEFAULT 1,
      "tool_calls" jsonb,
      "tool_call_count" integer NOT NULL DEFAULT 0,
      "finish_reason" text,
      "error_type" varchar(64),
      "is_streaming" boolean NOT NULL DEFAULT false,
      "cache_hit" boolean NOT NULL DEFAULT false,
      "router_info" jsonb,
      "experiment_name" text,
      "variant_name" text,
      "custom_properties" jsonb,
      "team_id" uuid,
      "tags" jsonb NOT NULL DEFAULT '{}',
      "guardrail_errors" jsonb NOT NULL DEFAULT '[]',
      "async_findings" jsonb NOT NULL DEFAULT '[]',
      "payload_url" text,
      "request_body_sha256" char(64),
      "response_body_sha256" char(64),
      "prev_hash" char(64) NOT NULL,
      "hash" char(64) NOT NULL,
      CONSTRAINT "pk_audit_logs" PRIMARY KEY ("id", "created_at"),
      CONSTRAINT "chk_audit_logs_policy_result" CHECK ("policy_result" IN ('allowed', 'denied', 'pending', 'approved', 'rejected', 'timeout')),
      CONSTRAINT "chk_audit_logs_hitl_decision" CHECK ("hitl_decision" IN ('approved', 'rejected', 'timeout', 'timeout_allowed')),
      CONSTRAINT "chk_audit_logs_log_level" CHECK ("log_level" BETWEEN 0 AND 2)
    ) PARTITION BY RANGE ("created_at")`);
    await q.query(`CREATE INDEX "idx_audit_logs_project_created" ON "audit_logs" ("project_id", "created_at" DESC)`);
    await q.query(`CREATE INDEX "idx_audit_logs_project_token_created" ON "audit_logs" ("project_id", "token_id", "created_at" DESC)`);
    await q.query(`CREATE INDEX "idx_audit_logs_project_seq" ON "audit_logs" ("project_id", "seq")`);
    await q.query(`CREATE INDEX "idx_audit_logs_session" ON "audit_logs" ("session_id")`);
    await q.query(`CREATE INDEX "idx_audit_logs_team" ON "audit_logs" ("team_id")`);

    await q.query(`CREATE TABLE "audit_log_bodies" (
      "audit_log_id" uuid NOT NULL,
      "created_at" timestamptz NOT NULL,
      "request_body" text,
      "response_body" text,
      "request_headers" jsonb,
      "response_headers" jsonb,
      "bodies_expired_at" timestamptz,
      CONSTRAINT "pk_audit_log_bodies" PRIMARY KEY ("audit_log_id", "created_at")
    ) PARTITION BY RANGE ("created_at")`);

    for (const table of ['audit_logs', 'audit_log_bodies']) {
      for (const period of periods(new Date(), unit(), ahead())) {
        await q.query(
          `CREATE TABLE IF NOT EXISTS "${table}_p${period.suffix}" PARTITION OF "${table}" FOR VALUES FROM ('${period.from}') TO ('${period.to}')`,
        );
      }
      await q.query(`CREATE TABLE IF NOT EXISTS "${table}_default" PARTITION OF "${table}" DEFAULT`);
    }

    await q.query(`CREATE TABLE "audit_chain_heads" (
      "project_id" uuid NOT NULL,
      "last_seq" bigint NOT NULL,
      "last_hash" char(64) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_audit_chain_heads" PRIMARY KEY ("project_id")
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_chain_heads"`);
    await q.query(`DROP TABLE "audit_log_bodies"`);
    await q.query(`DROP TABLE "audit_logs"`);
  }
}

type Unit = 'month' | 'day';

function unit(): Unit {
  return process.env['AILINK_AUDIT_PARTITION']?.trim() === 'day' ? 'day' : 'month';
}

function ahead(): number {
  const raw = process.env['AILINK_AUDIT_PARTITIONS_AHEAD']?.trim();
  const value = raw && /^\d+$/.test(raw) ? Number(raw) : 3;
  return Math.min(value, 366);
}

/** The current UTC period and `count` periods ahead: `{suffix: 2026_11 | 2026_11_25, from, to}`. */
function periods(now: Date, by: Unit, count: number): { suffix: string; from: string; to: string }[] {
  const out: { suffix: string; from: string; to: string }[] = [];
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  for (let i = 0; i <= count; i++) {
    const start = by === 'month' ? new Date(Date.UTC(y, m + i, 1)) : new Date(Date.UTC(y, m, d + i));
    const end = by === 'month' ? new Date(Date.UTC(y, m + i + 1, 1)) : new Date(Date.UTC(y, m, d + i + 1));
    const iso = start.toISOString();
    const suffix = by === 'month' ? `${iso.slice(0, 4)}_${iso.slice(5, 7)}` : `${iso.slice(0, 4)}_${iso.slice(5, 7)}_${iso.slice(8, 10)}`;
    out.push({ suffix, from: iso, to: end.toISOString() });
  }
  return out;
}
