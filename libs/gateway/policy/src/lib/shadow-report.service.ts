import { Injectable } from '@nestjs/common';
import type { ShadowReport, ValidationProblem } from '@ailink/shared-contracts';
import { GatewayError, type Principal } from '@ailink/gateway-core';
import { PoliciesService } from './policies.service';
import { ShadowReportRepository } from './shadow-report.repository';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/** `?from&to` of the shadow report (RFC 3339; `from` inclusive, `to` exclusive). */
export interface ShadowReportQuery {
  from?: unknown;
  to?: unknown;
}

function timestamp(value: unknown, field: 'from' | 'to', problems: ValidationProblem[]): Date | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && RFC3339.test(value) ? Date.parse(value.replace(' ', 'T')) : Number.NaN;
  if (Number.isNaN(ms)) {
    problems.push({ path: `$.${field}`, message: `${field} must be an RFC 3339 date-time` });
    return undefined;
  }
  return new Date(ms);
}

/**
 * `GET /policies/{id}/shadow-report` (management-api.md "Policies"): over a time range (default the
 * last 24 h), how many requests the policy was evaluated on, on how many at least one of its rules
 * fired in shadow mode, and per rule how many requests it fired on and would have blocked
 * (`would_block` outcome: deny, require_approval, a blocking redact, a rate limit over its count).
 * Computed from the audit records.
 */
@Injectable()
export class ShadowReportService {
  constructor(
    private readonly policies: PoliciesService,
    private readonly repository: ShadowReportRepository,
  ) {}

  async report(principal: Principal, id: string, query: ShadowReportQuery, now = new Date()): Promise<ShadowReport> {
    const problems: ValidationProblem[] = [];
    const fromArg = timestamp(query.from, 'from', problems);
    const toArg = timestamp(query.to, 'to', problems);
    if (problems.length) throw GatewayError.validation(problems);
    const to = toArg ?? now;
    const from = fromArg ?? new Date(to.getTime() - DAY_MS);
    if (from.getTime() >= to.getTime()) throw GatewayError.validation([{ path: '$.to', message: 'to must be later than from' }]);
    // 400 for a non-UUID id, 404 for a policy outside the caller's organisation.
    const policy = await this.policies.get(principal, id);
    const counts = await this.repository.counts(policy.project_id, policy.id, from, to);
    return {
      policy_id: policy.id,
      from: from.toISOString(),
      to: to.toISOString(),
      total_requests: counts.totalRequests,
      would_have_fired: counts.wouldHaveFired,
      by_rule: counts.byRule,
    };
  }
}
