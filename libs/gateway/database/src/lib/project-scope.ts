import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DEFAULT_ORG_ID, DEFAULT_PROJECT_ID } from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, type Principal } from '@ailink/gateway-core';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves the `project_id` a management call acts on (spec README, "Project scoping"): the given
 * one or the default project; a project outside the caller's organisation answers 404 exactly
 * like a missing one. Superadmins may act on any organisation's projects (identity.md §2). Without
 * `project_id`, a caller of another organisation than the default one acts on its organisation's
 * default project (`projects.is_default`).
 */
@Injectable()
export class ProjectScope {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async resolve(principal: Principal, projectId?: string | null): Promise<string> {
    if ((projectId === undefined || projectId === null) && principal.orgId !== DEFAULT_ORG_ID) {
      // Another organisation's "default project" is its own (created with it), never the seeded one.
      const own: { id: string }[] = await this.dataSource.query('SELECT id::text AS id FROM projects WHERE org_id = $1 AND is_default', [
        principal.orgId,
      ]);
      if (!own[0]) throw GatewayError.notFound('Project');
      return own[0].id;
    }
    const id = projectId ?? DEFAULT_PROJECT_ID;
    if (!UUID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'project_id must be a UUID');
    const rows: unknown[] =
      principal.role === 'superadmin'
        ? await this.dataSource.query('SELECT 1 FROM projects WHERE id = $1', [id])
        : await this.dataSource.query('SELECT 1 FROM projects WHERE id = $1 AND org_id = $2', [id, principal.orgId]);
    if (rows.length === 0) throw GatewayError.notFound('Project');
    return id.toLowerCase();
  }

  /**
   * Which of these token public ids the principal may see: those whose project belongs to its
   * organisation (every one for the super-admin). For listings gathered outside the database, such
   * as per-instance circuit-breaker state.
   */
  async visibleTokenIds(principal: Principal, tokenIds: readonly string[]): Promise<Set<string>> {
    if (principal.role === 'superadmin') return new Set(tokenIds);
    const unique = Array.from(new Set(tokenIds));
    if (unique.length === 0) return new Set();
    const rows: { id: string }[] = await this.dataSource.query(
      'SELECT t.id FROM tokens t JOIN projects p ON p.id = t.project_id WHERE t.id = ANY($1::varchar[]) AND p.org_id = $2',
      [unique, principal.orgId],
    );
    return new Set(rows.map((r) => r.id));
  }
}
