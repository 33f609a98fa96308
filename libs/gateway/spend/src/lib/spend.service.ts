import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import {
  PROJECT_BUDGET_PERIODS,
  TOKEN_SPEND_PERIODS,
  type ProjectBudget,
  type ProjectBudgetPeriod,
  type TokenSpendDay,
  type TokenSpendPeriod,
  type TokenSpendStatus,
  type ValidationProblem,
} from '@ailink/shared-contracts';
import { ErrorCode, GatewayError, LOGGER, parseTokenRef, sameDigest, type Principal } from '@ailink/gateway-core';
import { KeyValueStore, type SpendCounterState } from '@ailink/gateway-redis';
import { decimalToMicros, microsToUsd, parseUsd } from './money';
import { lastDays, periodKey } from './periods';
import { SpendLedger } from './spend-ledger';
import { SpendProfileCache } from './spend-profile-cache';
import { SpendRepository, type BudgetRow, type TokenRow } from './spend.repository';
import { counterRef, type CounterRef } from './spend-keys';
import type { PutProjectBudgetDto, PutTokenSpendCapDto, SpendHistoryQueryDto } from './spend.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function badRequest(path: string, message: string): GatewayError {
  return new GatewayError(ErrorCode.BadRequest, `${path}: ${message}`, { details: { errors: [{ path, message }] } });
}

/**
 * The rules of spend caps, project budgets and spend reporting (vault-and-spend.md §6; management-api.md
 * "Tokens" and "Projects"). Current amounts come from the spend counters (their PostgreSQL base is
 * loaded when missing); when the store cannot be reached, from PostgreSQL.
 */
@Injectable()
export class SpendService {
  constructor(
    private readonly repository: SpendRepository,
    private readonly ledger: SpendLedger,
    private readonly profiles: SpendProfileCache,
    private readonly store: KeyValueStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async tokenStatus(principal: Principal, id: string): Promise<TokenSpendStatus> {
    const token = await this.findToken(principal, id);
    const caps = new Map((await this.repository.caps(token.id)).map((c) => [c.period, decimalToMicros(c.limitUsd)]));
    const now = new Date();
    const counters = TOKEN_SPEND_PERIODS.map((period) => counterRef('token', token.id, period, now));
    const current = await this.currentMicros(counters);
    const limit = (period: TokenSpendPeriod): number | null => (caps.has(period) ? microsToUsd(caps.get(period) as number) : null);
    return {
      daily_limit_usd: limit('daily'),
      monthly_limit_usd: limit('monthly'),
      lifetime_limit_usd: limit('lifetime'),
      current_daily_usd: microsToUsd(current[0]),
      current_monthly_usd: microsToUsd(current[1]),
      current_lifetime_usd: microsToUsd(current[2]),
    };
  }

  async putTokenCap(principal: Principal, id: string, dto: PutTokenSpendCapDto): Promise<void> {
    const token = await this.findToken(principal, id);
    if (typeof dto.period !== 'string') throw badRequest('$.period', 'must be a string');
    const problems: ValidationProblem[] = [];
    if (!(TOKEN_SPEND_PERIODS as readonly string[]).includes(dto.period)) {
      problems.push({ path: '$.period', message: `must be one of ${TOKEN_SPEND_PERIODS.join(', ')}` });
    }
    const limit = parseUsd(dto.limit_usd);
    if (!limit.ok && limit.problem === 'type') throw badRequest('$.limit_usd', 'must be a number or a decimal string');
    if (!limit.ok)
      problems.push({
        path: '$.limit_usd',
        message: limit.problem === 'negative' ? 'must be greater than 0' : 'must be at most 999999.999999',
      });
    else if (limit.micros <= 0) problems.push({ path: '$.limit_usd', message: 'must be greater than 0' });
    if (problems.length > 0) throw GatewayError.validation(problems);
    await this.repository.upsertCap(token.id, token.projectId, dto.period, (limit as { micros: number }).micros);
    await this.profiles.invalidateToken(token.id, token.projectId);
  }

  async deleteTokenCap(principal: Principal, id: string, period: string): Promise<void> {
    const token = await this.findToken(principal, id);
    if (!(TOKEN_SPEND_PERIODS as readonly string[]).includes(period)) {
      throw GatewayError.validation([{ path: '$.period', message: `must be one of ${TOKEN_SPEND_PERIODS.join(', ')}` }]);
    }
    await this.repository.deleteCap(token.id, period);
    await this.profiles.invalidateToken(token.id, token.projectId);
  }

  async tokenHistory(principal: Principal, id: string, query: SpendHistoryQueryDto): Promise<TokenSpendDay[]> {
    const token = await this.findToken(principal, id);
    let days = 30;
    if (query.days !== undefined) {
      if (!/^\d+$/.test(query.days)) throw badRequest('$.days', 'must be an integer');
      days = Number(query.days);
      if (days < 1 || days > 366) throw GatewayError.validation([{ path: '$.days', message: 'must be between 1 and 366' }]);
    }
    const now = new Date();
    const dates = lastDays(days, now);
    const stored = new Map((await this.repository.tokenDays(token.id, dates[0], dates[dates.length - 1])).map((r) => [r.periodKey, r]));
    // Recent days may have amounts not flushed yet: a loaded counter is the authoritative total.
    const recent = dates.slice(-2);
    let live: SpendCounterState[] = [];
    try {
      live = await this.store.spendRead(recent.map((d) => counterRef('token', token.id, 'daily', new Date(`${d}T12:00:00Z`)).key));
    } catch (error) {
      this.logger.warn({ err: error }, 'Spend: counters unavailable; history from PostgreSQL only');
    }
    return dates.map((date) => {
      const index = recent.indexOf(date);
      const counter = index >= 0 ? live[index] : undefined;
      if (counter?.loaded) return { date, spend_usd: microsToUsd(counter.spentMicros), requests: counter.requests };
      const row = stored.get(date);
      return { date, spend_usd: microsToUsd(row?.micros ?? 0), requests: row?.requests ?? 0 };
    });
  }

  async getBudget(principal: Principal, projectId: string): Promise<ProjectBudget> {
    const id = await this.findProject(principal, projectId);
    const budget = await this.repository.budget(id);
    if (!budget) throw GatewayError.notFound('Budget');
    return this.budgetResponse(budget);
  }

  async putBudget(principal: Principal, projectId: string, dto: PutProjectBudgetDto): Promise<ProjectBudget> {
    const id = await this.findProject(principal, projectId);
    if (typeof dto.reset_period !== 'string') throw badRequest('$.reset_period', 'must be a string');
    const problems: ValidationProblem[] = [];
    if (!(PROJECT_BUDGET_PERIODS as readonly string[]).includes(dto.reset_period)) {
      problems.push({ path: '$.reset_period', message: `must be one of ${PROJECT_BUDGET_PERIODS.join(', ')}` });
    }
    const money = (field: 'warn_threshold_usd' | 'hard_cap_usd'): number | null => {
      const value = dto[field];
      if (value === undefined || value === null) return null;
      const parsed = parseUsd(value);
      if (parsed.ok) return parsed.micros;
      if (parsed.problem === 'type') throw badRequest(`$.${field}`, 'must be a number or a decimal string');
      problems.push({
        path: `$.${field}`,
        message: parsed.problem === 'negative' ? 'must not be negative' : 'must be at most 999999.999999',
      });
      return null;
    };
    const warn = money('warn_threshold_usd');
    const cap = money('hard_cap_usd');
    if (problems.length > 0) throw GatewayError.validation(problems);
    await this.repository.upsertBudget(id, warn, cap, dto.reset_period);
    await this.profiles.invalidateProject(id);
    return this.budgetResponse((await this.repository.budget(id)) as BudgetRow);
  }

  async deleteBudget(principal: Principal, projectId: string): Promise<void> {
    const id = await this.findProject(principal, projectId);
    await this.repository.deleteBudget(id);
    await this.profiles.invalidateProject(id);
  }

  private async budgetResponse(budget: BudgetRow): Promise<ProjectBudget> {
    const period = budget.resetPeriod as ProjectBudgetPeriod;
    const now = new Date();
    const [current] = await this.currentMicros([counterRef('project', budget.projectId, period, now)]);
    return {
      project_id: budget.projectId,
      warn_threshold_usd: budget.warnThresholdUsd,
      hard_cap_usd: budget.hardCapUsd,
      reset_period: period,
      current_usd: microsToUsd(current),
      period_key: periodKey(period, now),
    };
  }

  /** Settled amounts of counters: the store's (loading bases), else PostgreSQL's. */
  private async currentMicros(counters: CounterRef[]): Promise<number[]> {
    try {
      await this.ledger.applyPending();
      return (await this.ledger.read(counters)).map((s) => s.spentMicros);
    } catch (error) {
      this.logger.warn({ err: error }, 'Spend: counters unavailable; reporting PostgreSQL totals');
      const bases = await this.repository.bases(counters.map((c) => ({ scope: c.scope, id: c.id, periodKey: c.periodKey })));
      return bases.map((b) => b.micros);
    }
  }

  /** A token the caller may see, by public id or bearer secret; other organisations' tokens are 404. */
  private async findToken(principal: Principal, id: string): Promise<TokenRow> {
    const ref = parseTokenRef(id);
    const row = ref ? await this.repository.findToken(ref.publicId, principal.role === 'superadmin' ? null : principal.orgId) : null;
    if (!row || (ref?.secretSha256 && !sameDigest(ref.secretSha256, row.secretSha256))) throw GatewayError.notFound('Token');
    return row;
  }

  private async findProject(principal: Principal, projectId: string): Promise<string> {
    if (!UUID.test(projectId)) throw new GatewayError(ErrorCode.BadRequest, 'project id must be a UUID');
    const id = projectId.toLowerCase();
    const org = await this.repository.projectOrg(id, principal.role === 'superadmin' ? null : principal.orgId);
    if (!org) throw GatewayError.notFound('Project');
    return id;
  }
}
