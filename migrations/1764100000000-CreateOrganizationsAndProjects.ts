import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Organisations and projects, with the default organisation and project seeded (spec: Identifiers). */
export class CreateOrganizationsAndProjects1764100000000 implements MigrationInterface {
  name = 'CreateOrganizationsAndProjects1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "organizations" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "name" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_organizations" PRIMARY KEY ("id")
    )`);
    await q.query(`CREATE TABLE "projects" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "name" varchar(200) NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "pk_projects" PRIMARY KEY ("id"),
      CONSTRAINT "fk_projects_org" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE
    )`);
    await q.query(`CREATE UNIQUE INDEX "uq_projects_org_name" ON "projects" ("org_id", "name")`);
    await q.query(
      `INSERT INTO "organizations" ("id", "name") VALUES ('00000000-0000-0000-0000-000000000001', 'Default organization') ON CONFLICT DO NOTHING`,
    );
    await q.query(
      `INSERT INTO "projects" ("id", "org_id", "name") VALUES ('00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001', 'default') ON CONFLICT DO NOTHING`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "projects"`);
    await q.query(`DROP TABLE "organizations"`);
  }
}
