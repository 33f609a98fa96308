import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ShadowReportRule } from '@ailink/shared-contracts';

/** The counts of a shadow report (management-api.md "Policies"). */
export interface ShadowCounts {
  totalRequests: number;
  wouldHaveFired: number;
  byRule: ShadowReportRule[];
}

/**
 * Owns the shadow-report queries on `audit_logs` (audit `shadow_violations` and
 * `policies_evaluated`). Both filters are jsonb containment (`@>`) on the partial GIN indexes of
 * migration AddAuditShadowIndexes, within the project and time range (partition pruning on
 * `created_at`); the `<> '[]'` predicates let the planner use those partial indexes.
 */
@Injectable()
export class ShadowReportRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async counts(projectId: string, policyId: string, from: Date, to: Date): Promise<ShadowCounts> {
    const probe = JSON.stringify([{ policy_id: policyId }]);
    const params = [projectId, from, to, probe];
    const [totals] = (await this.dataSource.query(
      `SELECT
         (SELECT count(*) FROM audit_logs
           WHERE project_id = $1 AND created_at >= $2 AND created_at < $3
             AND policies_evaluated <> '[]'::jsonb AND policies_evaluated @> $4::jsonb)::int AS total_requests,
         (SELECT count(*) FROM audit_logs
           WHERE project_id = $1 AND created_at >= $2 AND created_at < $3
             AND shadow_violations <> '[]'::jsonb AND shadow_violations @> $4::jsonb)::int AS would_have_fired`,
      params,
    )) as { total_requests: number; would_have_fired: number }[];
    const rules = (await this.dataSource.query(
      `SELECT (v->>'rule_index')::int AS rule_index,
              count(*)::int AS count,
              (count(*) FILTER (WHERE v->>'outcome' = 'would_block'))::int AS would_block,
              (array_agg(v->'actions' ORDER BY a.created_at DESC))[1] AS actions
         FROM audit_logs a CROSS JOIN LATERAL jsonb_array_elements(a.shadow_violations) AS v
        WHERE a.project_id = $1 AND a.created_at >= $2 AND a.created_at < $3
          AND a.shadow_violations <> '[]'::jsonb AND a.shadow_violations @> $4::jsonb
          AND v->>'policy_id' = $5
        GROUP BY 1
        ORDER BY 1`,
      [...params, policyId],
    )) as { rule_index: number; count: number; would_block: number; actions: unknown }[];
    return {
      totalRequests: totals?.total_requests ?? 0,
      wouldHaveFired: totals?.would_have_fired ?? 0,
      byRule: rules.map((r) => ({
        rule_index: r.rule_index,
        actions: Array.isArray(r.actions) ? r.actions.map(String) : [],
        count: r.count,
        would_block: r.would_block,
      })),
    };
  }
}
