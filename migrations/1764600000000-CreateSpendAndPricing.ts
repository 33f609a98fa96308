import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pricing and spend (data-model.md "Spend and budgets", `model_pricing`; vault-and-spend.md §4–6):
 * price rows (built-in rows have `org_id` null; `(org_id, provider, model_pattern)` unique with nulls
 * not distinct, as two partial unique indexes), token spend caps, project budgets, and the spend
 * totals flushed from Redis. The built-in prices are seeded by the gateway at startup.
 */
export class CreateSpendAndPricing1764600000000 implements MigrationInterface {
  name = 'CreateSpendAndPricing1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "model_pricing" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid,
      "provider" varchar(32) NOT NULL,
      "model_pattern" varchar(255) NOT NULL,
      "input_per_m" numeric(12,6) NOT NULL,
      "output_per_m" numeric(12,6) NOT NULL,
      "cached_input_per_m" numeric(12,6),
      "max_output_tokens" integer,
      "is_active" boolean NOT NULL DEFAULT true,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_model_pricing" PRIMARY KEY ("id"),
      CONSTRAINT "fk_model_pricing_org" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_model_pricing_builtin" ON "model_pricing" ("provider", "model_pattern") WHERE "org_id" IS NULL`);
    await q.query(
      `CREATE UNIQUE INDEX "uq_model_pricing_org" ON "model_pricing" ("org_id", "provider", "model_pattern") WHERE "org_id" IS NOT NULL`,
    );

    await q.query(`CREATE TABLE "spend_caps" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "token_id" varchar(28) NOT NULL,
      "project_id" uuid NOT NULL,
      "period" varchar(16) NOT NULL,
      "limit_usd" numeric(12,6) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_spend_caps" PRIMARY KEY ("id"),
      CONSTRAINT "fk_spend_caps_token" FOREIGN KEY ("token_id") REFERENCES "tokens"("id") ON DELETE CASCADE,
      CONSTRAINT "fk_spend_caps_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_spend_caps_token_period" ON "spend_caps" ("token_id", "period")`);

    await q.query(`CREATE TABLE "token_spend" (
      "token_id" varchar(28) NOT NULL,
      "period_key" varchar(16) NOT NULL,
      "spend_usd" numeric(12,6) NOT NULL DEFAULT 0,
      "requests" bigint NOT NULL DEFAULT 0,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_token_spend" PRIMARY KEY ("token_id", "period_key"),
      CONSTRAINT "fk_token_spend_token" FOREIGN KEY ("token_id") REFERENCES "tokens"("id") ON DELETE CASCADE
    )`);

    await q.query(`CREATE TABLE "project_budgets" (
      "project_id" uuid NOT NULL,
      "warn_threshold_usd" numeric(12,6),
      "hard_cap_usd" numeric(12,6),
      "reset_period" varchar(16) NOT NULL,
      "warn_fired_period" varchar(16),
      "cap_fired_period" varchar(16),
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_project_budgets" PRIMARY KEY ("project_id"),
      CONSTRAINT "fk_project_budgets_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
    )`);

    await q.query(`CREATE TABLE "project_spend" (
      "project_id" uuid NOT NULL,
      "period_key" varchar(16) NOT NULL,
      "spend_usd" numeric(12,6) NOT NULL DEFAULT 0,
      "requests" bigint NOT NULL DEFAULT 0,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_project_spend" PRIMARY KEY ("project_id", "period_key"),
      CONSTRAINT "fk_project_spend_project" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "project_spend"`);
    await q.query(`DROP TABLE "project_budgets"`);
    await q.query(`DROP TABLE "token_spend"`);
    await q.query(`DROP TABLE "spend_caps"`);
    await q.query(`DROP TABLE "model_pricing"`);
  }
}
