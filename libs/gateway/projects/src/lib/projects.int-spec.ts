import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { DEFAULT_ORG_ID, DEFAULT_PROJECT_ID } from '@ailink/shared-contracts';
import { CoreModule, ErrorCode, GatewayError, loadConfig, type Principal } from '@ailink/gateway-core';
import { DatabaseModule, ProjectScope } from '@ailink/gateway-database';
import { RedisModule } from '@ailink/gateway-redis';
import { TEST_DATABASE_URL, TEST_MASTER_KEY, TEST_REDIS_URL, deleteRedisPrefix } from '@ailink/testing';
import { PROJECTS_ENTITIES, ProjectsModule } from './projects.module';
import { OrganizationsService } from './organizations.service';
import { ProjectsService } from './projects.service';

async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(error)}`);
  return error;
}

describe('organizations and projects (PostgreSQL)', () => {
  const keyPrefix = `projint${randomUUID().slice(0, 8)}:`;
  let app: INestApplicationContext;
  let ds: DataSource;
  let projects: ProjectsService;
  let organizations: OrganizationsService;
  let scope: ProjectScope;
  const superadmin: Principal = { orgId: DEFAULT_ORG_ID, userId: null, role: 'superadmin', scopes: ['*'], authMethod: 'admin_key' };
  const createdOrgs: string[] = [];

  /** An organisation made through the service, with an admin principal of it. */
  async function newOrg(): Promise<{ orgId: string; defaultProject: string; admin: Principal }> {
    const created = await organizations.create(`projects-int ${randomUUID()}`);
    createdOrgs.push(created.id);
    return {
      orgId: created.id,
      defaultProject: created.default_project_id,
      admin: { orgId: created.id, userId: null, role: 'admin', scopes: ['*'], authMethod: 'api_key', keyId: 'k' },
    };
  }

  async function insertToken(projectId: string, active: boolean): Promise<string> {
    const id = 'tok_' + randomUUID().replace(/-/g, '').slice(0, 24);
    await ds.query(
      `INSERT INTO tokens (id, secret_sha256, last4, project_id, name, upstream_url, is_active) VALUES ($1, $2, 'abcd', $3, 't', 'https://x.example', $4)`,
      [id, randomUUID().replace(/-/g, '') + randomUUID().replace(/-/g, ''), projectId, active],
    );
    return id;
  }

  async function insertAudit(projectId: string, tokenId: string | null): Promise<string> {
    const id = randomUUID();
    await ds.query(
      `INSERT INTO audit_logs (id, seq, project_id, request_id, token_id, method, path, prev_hash, hash)
       VALUES ($1, 1, $2, 'req_x', $3, 'POST', '/v1/chat/completions', $4, $4)`,
      [id, projectId, tokenId, '0'.repeat(64)],
    );
    await ds.query(
      `INSERT INTO audit_log_bodies (audit_log_id, created_at, request_body) SELECT id, created_at, '{}' FROM audit_logs WHERE id = $1`,
      [id],
    );
    return id;
  }

  beforeAll(async () => {
    const config = loadConfig(
      {
        DATABASE_URL: TEST_DATABASE_URL,
        REDIS_URL: TEST_REDIS_URL,
        AILINK_REDIS_KEY_PREFIX: keyPrefix,
        AILINK_MIGRATE_ON_START: 'false',
        AILINK_ADMIN_KEY: 'projects-int-admin-key-0123456789',
        AILINK_MASTER_KEY: TEST_MASTER_KEY,
        AILINK_DATA_DIR: mkdtempSync(join(tmpdir(), 'ailink-projects-int-')),
      },
      { version: '0.0.0-test', defaultPortalDir: '/nonexistent' },
    );
    @Module({
      imports: [
        CoreModule.forRoot(config, pino({ level: 'silent' })),
        DatabaseModule.forRoot({ entities: PROJECTS_ENTITIES, migrations: [] }),
        RedisModule.forRoot({ url: config.redisUrl, keyPrefix: config.redisKeyPrefix }),
        ProjectsModule,
      ],
    })
    class TestModule {}
    app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    ds = app.get(DataSource);
    projects = app.get(ProjectsService);
    organizations = app.get(OrganizationsService);
    scope = app.get(ProjectScope);
  });

  afterAll(async () => {
    if (createdOrgs.length) await ds?.query(`DELETE FROM organizations WHERE id = ANY($1::uuid[])`, [createdOrgs]);
    await app?.close();
    await deleteRedisPrefix(keyPrefix);
  });

  describe('organizations', () => {
    it('creates an organisation with its own default project; names are unique (409)', async () => {
      const name = `projects-int org ${randomUUID()}`;
      const created = await organizations.create(`  ${name} `);
      createdOrgs.push(created.id);
      expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name, default_project_id: expect.any(String) });
      const rows = await ds.query(`SELECT id::text, name, is_default FROM projects WHERE org_id = $1`, [created.id]);
      expect(rows).toEqual([{ id: created.default_project_id, name: 'default', is_default: true }]);
      expect((await rejection(organizations.create(name))).code).toBe(ErrorCode.Conflict);
      expect((await rejection(organizations.create('   '))).code).toBe(ErrorCode.ValidationError);
      const listed = await organizations.list();
      expect(listed[0]).toEqual({ id: DEFAULT_ORG_ID, name: 'Default organization', created_at: expect.any(String) });
      expect(listed.find((o) => o.id === created.id)).toEqual({ id: created.id, name, created_at: expect.any(String) });
    });

    it("resolves a missing project_id to the caller's organisation's default project", async () => {
      const org = await newOrg();
      expect(await scope.resolve(org.admin, undefined)).toBe(org.defaultProject);
      expect(await scope.resolve(superadmin, undefined)).toBe(DEFAULT_PROJECT_ID);
      const defaultOrgAdmin: Principal = { ...org.admin, orgId: DEFAULT_ORG_ID };
      expect(await scope.resolve(defaultOrgAdmin, undefined)).toBe(DEFAULT_PROJECT_ID);
      expect((await rejection(scope.resolve(org.admin, DEFAULT_PROJECT_ID))).code).toBe(ErrorCode.NotFound);
      expect((await rejection(scope.resolve(defaultOrgAdmin, org.defaultProject))).code).toBe(ErrorCode.NotFound);
      expect(await scope.resolve(superadmin, org.defaultProject)).toBe(org.defaultProject);
    });
  });

  describe('projects', () => {
    it('creates, lists and renames within the organisation; names clash with 409', async () => {
      const org = await newOrg();
      const created = await projects.create(org.admin, ' staging ');
      expect(created).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'staging' });
      expect((await rejection(projects.create(org.admin, 'staging'))).code).toBe(ErrorCode.Conflict);
      expect((await rejection(projects.create(org.admin, ' '))).code).toBe(ErrorCode.ValidationError);
      const listed = await projects.list(org.admin);
      expect(listed.map((p) => p.name)).toEqual(['default', 'staging']);
      expect(listed[1]).toEqual({ id: created.id, name: 'staging', org_id: org.orgId, created_at: expect.any(String) });
      expect(await projects.rename(org.admin, created.id.toUpperCase(), 'production')).toEqual({ id: created.id, name: 'production' });
      expect((await rejection(projects.rename(org.admin, created.id, 'default'))).code).toBe(ErrorCode.Conflict);
      // Another organisation may use the same name.
      const other = await newOrg();
      expect((await projects.create(other.admin, 'production')).name).toBe('production');
    });

    it("answers 404 for another organisation's project and 400 for non-UUID ids, changing nothing", async () => {
      const owner = await newOrg();
      const intruder = await newOrg();
      const target = await projects.create(owner.admin, 'target');
      const token = await insertToken(target.id, true);
      expect((await rejection(projects.rename(intruder.admin, target.id, 'x'))).code).toBe(ErrorCode.NotFound);
      expect((await rejection(projects.delete(intruder.admin, target.id))).code).toBe(ErrorCode.NotFound);
      expect((await rejection(projects.purge(intruder.admin, target.id))).code).toBe(ErrorCode.NotFound);
      expect((await rejection(projects.delete(intruder.admin, 'nope'))).code).toBe(ErrorCode.BadRequest);
      expect((await projects.list(intruder.admin)).map((p) => p.id)).not.toContain(target.id);
      const [row] = await ds.query(`SELECT name FROM projects WHERE id = $1`, [target.id]);
      expect(row.name).toBe('target');
      expect(await ds.query(`SELECT id FROM tokens WHERE id = $1`, [token])).toHaveLength(1);
    });

    it('refuses to delete a default project (400)', async () => {
      const org = await newOrg();
      expect((await rejection(projects.delete(org.admin, org.defaultProject))).code).toBe(ErrorCode.BadRequest);
      expect((await rejection(projects.delete(superadmin, DEFAULT_PROJECT_ID))).code).toBe(ErrorCode.BadRequest);
    });

    it('deletes only an empty project (409 naming what remains); revoked rows go with it', async () => {
      const org = await newOrg();
      const project = await projects.create(org.admin, 'busy');
      const t1 = await insertToken(project.id, true);
      await insertToken(project.id, true);
      await ds.query(`INSERT INTO services (project_id, name, base_url) VALUES ($1, 'crm', 'https://crm.example')`, [project.id]);
      const conflict = await rejection(projects.delete(org.admin, project.id));
      expect(conflict.code).toBe(ErrorCode.Conflict);
      expect(conflict.message).toBe('The project still holds 2 tokens and 1 service: delete or revoke them first');
      await ds.query(`UPDATE tokens SET is_active = false WHERE project_id = $1`, [project.id]);
      await ds.query(`UPDATE services SET is_active = false WHERE project_id = $1`, [project.id]);
      await projects.delete(org.admin, project.id);
      expect(await ds.query(`SELECT id FROM projects WHERE id = $1`, [project.id])).toEqual([]);
      expect(await ds.query(`SELECT id FROM tokens WHERE id = $1`, [t1])).toEqual([]);
      expect((await rejection(projects.delete(org.admin, project.id))).code).toBe(ErrorCode.NotFound);
    });

    it("purges a project's runtime records only, keeping the project, its tokens and other projects' records", async () => {
      const org = await newOrg();
      const project = await projects.create(org.admin, 'noisy');
      const token = await insertToken(project.id, true);
      const kept = await insertAudit(org.defaultProject, null);
      await insertAudit(project.id, token);
      await insertAudit(project.id, token);
      const result = await projects.purge(org.admin, project.id);
      expect(result).toEqual({ status: 'purged', project_id: project.id, rows_deleted: 4 });
      expect(await ds.query(`SELECT id FROM audit_logs WHERE project_id = $1`, [project.id])).toEqual([]);
      expect(await ds.query(`SELECT id FROM audit_logs WHERE id = $1`, [kept])).toHaveLength(1);
      expect(await ds.query(`SELECT audit_log_id FROM audit_log_bodies WHERE audit_log_id = $1`, [kept])).toHaveLength(1);
      expect(await ds.query(`SELECT id FROM tokens WHERE id = $1`, [token])).toHaveLength(1);
      expect(await ds.query(`SELECT id FROM projects WHERE id = $1`, [project.id])).toHaveLength(1);
      expect(await projects.purge(org.admin, project.id)).toEqual({ status: 'purged', project_id: project.id, rows_deleted: 0 });
      await ds.query(`DELETE FROM audit_log_bodies WHERE audit_log_id = $1`, [kept]);
      await ds.query(`DELETE FROM audit_logs WHERE id = $1`, [kept]);
    });
  });
});
